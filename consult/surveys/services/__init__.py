"""Survey services: building (staff), answering (web and paper), and results.

The only code of this domain that touches the session, kept by concept, one module
each: :mod:`.places` (whom a survey reaches), :mod:`.notices` (telling them), :mod:`.reading` (a survey, its form,
the lists, its lifecycle), :mod:`.building`, :mod:`.answering` and :mod:`.results`.
Every public one is named here, so this domain's pages, API and tests, and the
ratings built on surveys, keep calling ``services.<name>``.
"""

from consult.surveys.services.answering import (
    Eligibility,
    eligibility,
    enter_paper,
    paper_groups,
    submit,
)
from consult.surveys.services.building import (
    add_question,
    create_survey,
    delete_question,
    managed_places,
    move_question,
    update_survey,
)
from consult.surveys.services.notices import tell_audiences
from consult.surveys.services.places import (
    acting_path,
    audience_members,
    audience_size,
    in_scope,
)
from consult.surveys.services.reading import (
    SurveyForm,
    allowed_actions,
    answered_ids,
    get_survey,
    list_surveys,
    load_form,
    require_survey_action,
    response_count,
    results_changed,
    staff_surveys,
    survey_state,
)
from consult.surveys.services.results import (
    STARS_LABEL,
    TEXT_SAMPLE,
    UNKNOWN_GROUP,
    Aggregates,
    GroupRow,
    PlaceFigures,
    QuestionResult,
    Results,
    Row,
    check_results_visible,
    clear_results_cache,
    place_figures,
    place_figures_key,
    raw_responses,
    results,
    results_form,
)

__all__ = [
    "acting_path",
    "audience_members",
    "audience_size",
    "tell_audiences",
    "in_scope",
    "SurveyForm",
    "allowed_actions",
    "answered_ids",
    "get_survey",
    "list_surveys",
    "load_form",
    "require_survey_action",
    "response_count",
    "results_changed",
    "staff_surveys",
    "survey_state",
    "add_question",
    "create_survey",
    "delete_question",
    "managed_places",
    "move_question",
    "update_survey",
    "Eligibility",
    "eligibility",
    "enter_paper",
    "paper_groups",
    "submit",
    "Aggregates",
    "GroupRow",
    "PlaceFigures",
    "QuestionResult",
    "Results",
    "Row",
    "STARS_LABEL",
    "TEXT_SAMPLE",
    "UNKNOWN_GROUP",
    "check_results_visible",
    "clear_results_cache",
    "place_figures",
    "place_figures_key",
    "raw_responses",
    "results",
    "results_form",
]
