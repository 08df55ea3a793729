"""Consultation services: the only code of this domain that touches the session.

Every function that changes something takes the acting :class:`Actor` and checks
``permissions.allowed`` itself, so pages and the JSON API share one set of rules.
Reads are shaped for pages: a bounded number of queries whatever the number of ideas.

The services are kept by concept, one module each (:mod:`.consultations`,
:mod:`.rounds`, :mod:`.ideas` for reading, :mod:`.authoring` for writing,
:mod:`.supports_comments`, :mod:`.review`, :mod:`.outcomes`; :mod:`.common` is what
they share), and every public one is named here, so this domain's pages, API and
tests keep calling ``services.<name>``. Other domains use the domain's own surface,
:mod:`consult.consultations`.
"""

from consult.consultations.services.authoring import (
    PHOTO_MESSAGES,
    create_draft,
    photo_message,
    submit_idea,
    update_idea,
    withdraw_idea,
)
from consult.consultations.services.common import (
    categories_of,
    get_consultation,
    get_round,
    ideas_changed,
    list_header,
    open_round,
    round_state,
    rounds_of,
    scope_of,
)
from consult.consultations.services.consultations import (
    ConsultationSummary,
    HeldVote,
    consultations_overview,
    create_consultation,
    create_held_vote,
    manageable_scopes,
    update_consultation,
)
from consult.consultations.services.ideas import (
    DIFF_FIELDS,
    DIFF_LABELS,
    PER_PAGE,
    CommentView,
    IdeaDetail,
    IdeaPage,
    IdeaRow,
    ListMenus,
    diff_versions,
    get_idea,
    idea_detail,
    idea_place_choices,
    list_ideas,
    list_menus,
    merge_candidates,
    my_ideas,
    photos_of,
    places_in_scope,
    similar_ideas,
    timeline,
    versions,
    visible_idea,
)
from consult.consultations.services.outcomes import (
    EXPORT_COLUMNS,
    RoundIdea,
    Stats,
    export_rows,
    ideas_in_round,
    record_outcome,
    stats,
)
from consult.consultations.services.panels import IDEA_PANELS, IdeaPanel, idea_panels
from consult.consultations.services.pending import (
    drop_abandoned_photos,
    keep_photos,
    pending_dir,
    pending_photo,
    pending_photos,
)
from consult.consultations.services.review import (
    OWN_IDEA,
    OWN_MERGE_TARGET,
    bulk_review,
    may_review_in,
    reported_comments,
    review_idea,
    review_queue,
)
from consult.consultations.services.rounds import (
    GUARDED_KINDS,
    ROUND_GUARDS,
    Carried,
    PipelineStep,
    add_round,
    carry_due,
    carry_forward,
    check_round_action,
    close_round,
    extend_round,
    pipeline,
    round_changes,
    update_round,
)
from consult.consultations.services.supports_comments import (
    OWN_COMMENT,
    add_comment,
    hide_comment,
    report_comment,
    support_idea,
    unhide_comment,
    unsupport_idea,
)

__all__ = [
    "CommentView", "ConsultationSummary", "DIFF_FIELDS", "DIFF_LABELS", "EXPORT_COLUMNS",
    "GUARDED_KINDS", "HeldVote", "IDEA_PANELS", "IdeaPanel", "IdeaDetail", "IdeaPage", "IdeaRow", "ListMenus",
    "OWN_COMMENT", "OWN_IDEA", "OWN_MERGE_TARGET", "PER_PAGE", "PHOTO_MESSAGES",
    "PipelineStep", "ROUND_GUARDS", "RoundIdea", "Stats", "add_comment", "add_round",
    "bulk_review", "Carried", "carry_due", "carry_forward", "categories_of",
    "check_round_action", "close_round",
    "consultations_overview", "create_consultation", "create_draft", "create_held_vote",
    "diff_versions", "drop_abandoned_photos", "export_rows", "extend_round", "get_consultation", "get_idea",
    "get_round", "hide_comment", "idea_detail", "idea_panels", "idea_place_choices", "ideas_changed",
    "ideas_in_round", "keep_photos", "list_header", "list_ideas", "list_menus", "manageable_scopes",
    "may_review_in", "my_ideas", "open_round", "photo_message", "photos_of", "pipeline",
    "pending_dir", "pending_photo", "pending_photos", "places_in_scope", "record_outcome", "report_comment", "reported_comments", "review_idea",
    "review_queue", "round_changes", "round_state", "rounds_of", "scope_of", "similar_ideas", "merge_candidates",
    "stats", "submit_idea", "support_idea", "timeline", "unhide_comment", "unsupport_idea",
    "update_consultation", "update_idea", "update_round", "versions", "visible_idea",
    "withdraw_idea",
]
