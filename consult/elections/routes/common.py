"""What every elections page shares: what the person may do on an estate, the refused
form shown again, and CSV downloads."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from consult.elections import services
from consult.web.auth import current_actor
from consult.web.downloads import CSV_TYPE, download, excel_csv

ACTIONS = ("manage_owner_election", "cast_owner_election_ballot", "enter_owner_election_paper",
           "view_owner_election_gauge", "view_door_to_door", "export_owner_election")


def can(request: Request, estate) -> dict[str, bool]:
    actor = current_actor(request)
    return {action: services.may(action, actor, estate) for action in ACTIONS}


def csv_download(text: str, filename: str) -> Response:
    return download(excel_csv(text), filename, CSV_TYPE)


def chosen(form) -> list[str]:
    """The candidates ticked on a ballot form."""
    return [str(value) for value in form.getlist("candidates")]
