"""Creating rating campaigns, photo contests and owners'-representative forums over the
JSON API (staff): the same services as the staff pages (``routes/campaigns.py``), so the
same permissions and checks. Times are local (Beijing) ``YYYY-MM-DDTHH:MM``, the one
format the pages' date-time fields send (``consult.parsing.parse_local_datetime``)."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.parsing import as_text, parse_local_datetime
from consult.ratings import services
from consult.web.api import INTEGER, STRING, Body, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require
from consult.web.db import get_db

NULLABLE = {"type": ["string", "null"]}
LOCAL_TIME = "local time (Beijing), YYYY-MM-DDTHH:MM"


class CampaignBody(Body):
    place_id: int
    title: str
    year: int
    description: str = ""
    notice_days: int = 7


class ContestBody(Body):
    place_id: int
    title: str
    description: str = ""
    opens_at: str
    closes_at: str
    campaign_id: int | None = None


class ForumBody(Body):
    subject_id: int
    held_at: str
    location: str
    agenda: str = ""


async def campaign_create(request: Request):
    data = await json_body(request)
    campaign = services.create_campaign(
        get_db(request), require(request, "view_staff_area"), place_id=str(data["place_id"]),
        title=data["title"], year=str(data["year"]), description=data.get("description", ""),
        notice_days=str(data.get("notice_days", 7)))
    return ok({"id": campaign.id, "title": campaign.title, "year": campaign.year}, status=201)


async def contest_create(request: Request):
    data = await json_body(request)
    contest = services.create_contest(
        get_db(request), require(request, "view_staff_area"), place_id=str(data["place_id"]),
        title=data["title"], description=data.get("description", ""),
        opens_at=parse_local_datetime(data["opens_at"]), closes_at=parse_local_datetime(data["closes_at"]),
        campaign_id=as_text(data.get("campaign_id")), now=clock.utcnow())
    return ok({"id": contest.id, "title": contest.title, "opens_at": contest.opens_at,
               "closes_at": contest.closes_at}, status=201)


async def forum_create(request: Request):
    data = await json_body(request)
    db = get_db(request)
    campaign = services.get_campaign(db, request.path_params["campaign_id"])
    forum = services.create_forum(db, current_actor(request), campaign, subject_id=str(data["subject_id"]),
                                  held_at=parse_local_datetime(data["held_at"]), location=data["location"],
                                  agenda=data.get("agenda", ""), now=clock.utcnow())
    return ok({"id": forum.id, "campaign_id": campaign.id, "subject_id": forum.subject_id,
               "held_at": forum.held_at, "location": forum.location}, status=201)


routes = [
    api_route("/campaigns", campaign_create, method="POST", name="api_campaign_create", tag="ratings",
              summary="Create a star-rating campaign for a place (staff); then its criteria and subjects",
              body=CampaignBody, response=obj({"id": INTEGER, "title": STRING, "year": INTEGER},
                                              ["id", "title", "year"]), status=201),
    api_route("/contests", contest_create, method="POST", name="api_contest_create", tag="ratings",
              summary=f"Create a photo contest (staff); opens_at and closes_at in {LOCAL_TIME}",
              body=ContestBody, response=obj({"id": INTEGER, "title": STRING, "opens_at": NULLABLE,
                                              "closes_at": NULLABLE}, ["id", "title"]), status=201),
    api_route("/campaigns/{campaign_id:int}/forums", forum_create, method="POST", name="api_forum_create",
              tag="ratings", summary=f"Create an owners'-representative forum of a campaign's subject "
                                     f"(staff); held_at in {LOCAL_TIME}",
              body=ForumBody, response=obj({"id": INTEGER, "campaign_id": INTEGER, "subject_id": INTEGER,
                                            "held_at": NULLABLE, "location": STRING},
                                           ["id", "campaign_id", "subject_id"]), status=201),
]
