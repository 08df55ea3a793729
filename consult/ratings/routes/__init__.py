"""Star-rating pages: campaigns with their ranking, subjects' history, objections, photo
contests and representatives' forums; the staff pages that set them up and feed them.

The pages are kept by concept, one module each (:mod:`.public`, :mod:`.campaigns`,
:mod:`.forums`, :mod:`.contests`; :mod:`.common` is what they share); this table names
every route in the order the app has always matched them (``consult.web.app``
collects ``routes``).
"""

from __future__ import annotations

from starlette.routing import Route

from consult.ratings.routes.campaigns import (
    campaign_create,
    contest_create,
    criteria_save,
    forum_create,
    publish,
    scores_page,
    scores_save,
    staff_campaign,
    staff_index,
    subject_add,
    subject_remove,
    thresholds_save,
)
from consult.ratings.routes.contests import (
    entry_add,
    staff_contest,
)
from consult.ratings.routes.forums import (
    forum_update,
    grid_page,
    grid_save,
    staff_forum,
)
from consult.ratings.routes.public import (
    campaign_page,
    contest_page,
    contest_rate,
    forum_page,
    index,
    objection_answer,
    objection_submit,
    subject_page,
)

routes = [
    Route("/ratings", index, methods=["GET"], name="ratings"),
    Route("/ratings/campaigns/{campaign_id:int}", campaign_page, methods=["GET"], name="campaign"),
    Route("/ratings/campaigns/{campaign_id:int}/objections", objection_submit, methods=["POST"],
          name="campaign_objection"),
    Route("/ratings/subjects/{subject_id:int}", subject_page, methods=["GET"], name="rating_subject"),
    Route("/ratings/contests/{contest_id:int}", contest_page, methods=["GET"], name="contest"),
    Route("/ratings/contests/{contest_id:int}/entries/{entry_id:int}/rate", contest_rate,
          methods=["POST"], name="contest_rate"),
    Route("/ratings/forums/{forum_id:int}", forum_page, methods=["GET"], name="forum"),
    Route("/staff/ratings", staff_index, methods=["GET"], name="staff_ratings"),
    Route("/staff/ratings", campaign_create, methods=["POST"], name="staff_campaign_create"),
    Route("/staff/ratings/{campaign_id:int}", staff_campaign, methods=["GET"], name="staff_campaign"),
    Route("/staff/ratings/{campaign_id:int}/thresholds", thresholds_save, methods=["POST"],
          name="staff_campaign_thresholds"),
    Route("/staff/ratings/{campaign_id:int}/criteria", criteria_save, methods=["POST"],
          name="staff_campaign_criteria"),
    Route("/staff/ratings/{campaign_id:int}/subjects", subject_add, methods=["POST"],
          name="staff_campaign_subject_add"),
    Route("/staff/ratings/{campaign_id:int}/subjects/{subject_id:int}/remove", subject_remove,
          methods=["POST"], name="staff_campaign_subject_remove"),
    Route("/staff/ratings/{campaign_id:int}/scores/{criterion_id:int}", scores_page, methods=["GET"],
          name="staff_campaign_scores"),
    Route("/staff/ratings/{campaign_id:int}/scores/{criterion_id:int}", scores_save, methods=["POST"],
          name="staff_campaign_scores_save"),
    Route("/staff/ratings/{campaign_id:int}/publish", publish, methods=["POST"],
          name="staff_campaign_publish"),
    Route("/staff/ratings/{campaign_id:int}/forums", forum_create, methods=["POST"],
          name="staff_forum_create"),
    Route("/staff/forums/{forum_id:int}", staff_forum, methods=["GET"], name="staff_forum"),
    Route("/staff/forums/{forum_id:int}", forum_update, methods=["POST"], name="staff_forum_update"),
    Route("/staff/forums/{forum_id:int}/grid", grid_page, methods=["GET"], name="staff_forum_grid"),
    Route("/staff/forums/{forum_id:int}/grid", grid_save, methods=["POST"], name="staff_forum_grid_save"),
    Route("/staff/objections/{objection_id:int}/answer", objection_answer, methods=["POST"],
          name="staff_objection_answer"),
    Route("/staff/contests", contest_create, methods=["POST"], name="staff_contest_create"),
    Route("/staff/contests/{contest_id:int}", staff_contest, methods=["GET"], name="staff_contest"),
    Route("/staff/contests/{contest_id:int}/entries", entry_add, methods=["POST"],
          name="staff_contest_entry_add"),
]
