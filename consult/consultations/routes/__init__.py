"""Consultation pages. Thin: parse → service → respond; POSTs answer 303 or re-render with errors.

Template contexts (tests read ``response.context``):
consultations: ``summaries``; consultation: ``consultation``, ``scope``, ``steps``,
``categories``, ``current``, ``can_submit``, ``can_manage``, ``can_review``, ``can_export``;
ideas: ``consultation`` (a light row: id, title, scope_place_id, ideas_version),
``scope``, ``page`` (``IdeaPage``), ``filters``, ``categories``, ``places``, ``body``
(the rendered list, maybe from the page cache); idea: ``detail``, ``can``, ``review_actions``, ``merge_targets``, ``errors``,
``error``; idea_form: ``consultation``, ``idea``, ``form``, ``errors``,
``category_options``, ``place_options``, ``photos``; idea_confirm: ``idea``, ``similar``; diff: ``idea``, ``diffs``,
``old``, ``new``, ``versions``; review: ``consultation``, ``rows``, ``reported``,
``errors``, ``error``; stats: ``stats``, ``by_state``, ``charts``; manage: ``consultation``, ``steps``,
``form``, ``errors``.

The pages are kept by concept, one module each; this table names every route in the
order the app has always matched them (``consult.web.app`` collects ``routes``).
"""

from __future__ import annotations

from starlette.routing import Route

from consult.consultations.routes.authoring import (
    idea_confirm,
    idea_create,
    idea_edit,
    idea_new,
    idea_submit,
    idea_update,
    idea_withdraw,
)
from consult.consultations.routes.committee import (
    consultation_notice,
    export_csv,
    export_xlsx,
    idea_notice,
    review_bulk,
    review_page,
    stats_page,
)
from consult.consultations.routes.consultations import (
    consultation_create,
    consultation_manage,
    consultation_new,
    consultation_page,
    consultation_update,
    consultations_page,
    round_add,
    round_carry,
    round_close,
    round_edit,
    round_extend,
)
from consult.consultations.routes.idea import (
    comment_hide,
    comment_report,
    comment_unhide,
    idea_comment,
    idea_diff,
    idea_page,
    idea_review,
    idea_support,
    kept_photo,
    media,
)
from consult.consultations.routes.lists import ideas_page, my_ideas_page

routes = [
    Route("/consultations", consultations_page, methods=["GET"], name="consultations"),
    Route("/consultations", consultation_create, methods=["POST"], name="consultation_create"),
    Route("/consultations/new", consultation_new, methods=["GET"], name="consultation_new"),
    Route("/consultations/{cid:int}", consultation_page, methods=["GET"], name="consultation"),
    Route("/consultations/{cid:int}/manage", consultation_manage, methods=["GET"],
          name="consultation_manage"),
    Route("/consultations/{cid:int}/manage", consultation_update, methods=["POST"],
          name="consultation_update"),
    Route("/consultations/{cid:int}/rounds", round_add, methods=["POST"], name="round_add"),
    Route("/rounds/{rid:int}/edit", round_edit, methods=["POST"], name="round_edit"),
    Route("/rounds/{rid:int}/close", round_close, methods=["POST"], name="round_close"),
    Route("/rounds/{rid:int}/extend", round_extend, methods=["POST"], name="round_extend"),
    Route("/rounds/{rid:int}/carry", round_carry, methods=["POST"], name="round_carry"),
    Route("/consultations/{cid:int}/ideas", ideas_page, methods=["GET"], name="ideas"),
    Route("/consultations/{cid:int}/ideas", idea_create, methods=["POST"], name="idea_create"),
    Route("/consultations/{cid:int}/ideas/new", idea_new, methods=["GET"], name="idea_new"),
    Route("/consultations/{cid:int}/review", review_page, methods=["GET"], name="review_queue"),
    Route("/consultations/{cid:int}/review", review_bulk, methods=["POST"], name="review_bulk"),
    Route("/consultations/{cid:int}/stats", stats_page, methods=["GET"], name="consultation_stats"),
    Route("/consultations/{cid:int}/export.xlsx", export_xlsx, methods=["GET"], name="export_xlsx"),
    Route("/consultations/{cid:int}/export.csv", export_csv, methods=["GET"], name="export_csv"),
    Route("/consultations/{cid:int}/notice", consultation_notice, methods=["GET"],
          name="consultation_notice"),
    Route("/ideas/{iid:int}", idea_page, methods=["GET"], name="idea"),
    Route("/ideas/{iid:int}/confirm", idea_confirm, methods=["GET"], name="idea_confirm"),
    Route("/ideas/{iid:int}/submit", idea_submit, methods=["POST"], name="idea_submit"),
    Route("/ideas/{iid:int}/edit", idea_edit, methods=["GET"], name="idea_edit"),
    Route("/ideas/{iid:int}/edit", idea_update, methods=["POST"], name="idea_update"),
    Route("/ideas/{iid:int}/withdraw", idea_withdraw, methods=["POST"], name="idea_withdraw"),
    Route("/ideas/{iid:int}/support", idea_support, methods=["POST"], name="idea_support"),
    Route("/ideas/{iid:int}/comments", idea_comment, methods=["POST"], name="idea_comment"),
    Route("/ideas/{iid:int}/review", idea_review, methods=["POST"], name="idea_review"),
    Route("/ideas/{iid:int}/versions", idea_diff, methods=["GET"], name="idea_diff"),
    Route("/ideas/{iid:int}/notice", idea_notice, methods=["GET"], name="idea_notice"),
    Route("/comments/{comment_id:int}/report", comment_report, methods=["POST"],
          name="comment_report"),
    Route("/comments/{comment_id:int}/hide", comment_hide, methods=["POST"], name="comment_hide"),
    Route("/comments/{comment_id:int}/unhide", comment_unhide, methods=["POST"], name="comment_unhide"),
    Route("/me/ideas", my_ideas_page, methods=["GET"], name="my_ideas"),
    Route("/media/{file}", media, methods=["GET"], name="media"),
    Route("/ideas/kept-photos/{pid:int}", kept_photo, methods=["GET"], name="idea_kept_photo"),
]
