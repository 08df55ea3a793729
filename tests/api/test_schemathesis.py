"""schemathesis against the app in process (ASGI): every API operation, with a signed-in
staff token on the demo's world; no answer is a server error, and every answer matches
the status, media type and schema the OpenAPI document gives for it.

A few examples per operation, derandomized, so the run is the same each time and short;
on PostgreSQL as on SQLite (``CONSULT_TEST_DATABASE_URL``)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlmodel import select

from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.communities import demo as communities_demo
from consult.demo import load

ADMIN = "13800000001"
EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _text(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    return "; ".join(_text(e) for e in inner) if inner else f"{type(exc).__name__}: {exc}"


def _known_ids(db) -> dict[str, list[int]]:
    """Ids of the demo's rows by the path parameter that names them, so that examples reach
    real rows (and their states), not only 404s."""
    from consult.accounts.models import ApiToken
    from consult.communities.models import HomeOwner, Place, VerificationRequest
    from consult.consultations.models import Comment, Consultation, Idea
    from consult.delivery.models import Pledge, Project, Repair
    from consult.elections.models import OwnerElection, ResidentElection
    from consult.owners.models import OwnerBallot, OwnerLink, OwnerMatter
    from consult.points.models import Activity, Member, PointsClub, RedemptionDay
    from consult.ratings.models import Campaign, Contest, ContestEntry, Forum, Subject
    from consult.surveys.models import Survey
    from consult.voting.models import Objection, VoteSettings

    columns = {
        "rid": [VoteSettings.round_id], "cid": [Consultation.id], "iid": [Idea.id],
        "comment_id": [Comment.id], "activity_id": [Activity.id], "club_id": [PointsClub.id],
        "member_id": [Member.id], "day_id": [RedemptionDay.id], "ballot_id": [OwnerBallot.id],
        "matter_id": [OwnerMatter.id], "link_id": [OwnerLink.id], "owner_id": [HomeOwner.id],
        "campaign_id": [Campaign.id], "contest_id": [Contest.id], "entry_id": [ContestEntry.id],
        "forum_id": [Forum.id], "subject_id": [Subject.id], "place_id": [Place.id],
        "election_id": [OwnerElection.id, ResidentElection.id], "oid": [Objection.id],
        "pledge_id": [Pledge.id], "project_id": [Project.id], "repair_id": [Repair.id],
        "request_id": [VerificationRequest.id], "survey_id": [Survey.id], "tid": [ApiToken.id],
    }
    found = {name: sorted({i for column in cols for i in db.exec(select(column).limit(5)).all()})
             for name, cols in columns.items()}
    found["estate_id"] = list(db.exec(select(Place.id).where(Place.kind == "estate").limit(5)).all())
    return {name: ids for name, ids in found.items() if ids}


def _run(operation, headers, known: dict[str, list[int]]) -> None:
    @given(case=operation.as_strategy(), data=st.data())
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def check(case, data):
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        case.call_and_validate(headers=headers(), checks=CHECKS)

    check()


@pytest.mark.slow
def test_every_operation_conforms(db, settings, app):
    load(db, settings)
    db.flush()
    admin = db.exec(select(User).where(User.login == ADMIN)).one()
    assert communities_demo.DEMO_PASSWORD

    def headers() -> dict:  # a fresh token each time: an example may log the last one out
        token = accounts.issue_token(db, admin)
        db.flush()
        return {"Authorization": f"Bearer {token}"}

    known = _known_ids(db)
    assert {"rid", "cid", "iid", "matter_id", "campaign_id"} <= set(known)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures, ran = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        ran += 1
        try:
            _run(operation, headers, known)
        except (Exception, BaseExceptionGroup) as exc:  # collect them all, to fix them all
            failures.append(f"{operation.label}: {_text(exc)[:1500]}")
    assert ran > 90
    assert not failures, "\n\n".join(failures)
