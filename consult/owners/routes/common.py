"""What every owners' page shares: the label tables, what the person may do on an
estate, a refused form's problem where its page shows it, the uploaded file of a form,
and CSV and file downloads."""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from consult.errors import FieldErrors, UserError
from consult.owners import labels, services
from consult.web.auth import current_actor
from consult.web.downloads import CSV_TYPE, download, excel_csv
from consult.web.forms import problem_of


def _names() -> dict:
    """The label tables every owners' page reads."""
    return {"kinds": labels.KIND_NAMES, "choices": labels.CHOICE_NAMES,
            "channels": labels.CHANNEL_NAMES, "states": labels.STATE_NAMES,
            "statuses": labels.STATUS_NAMES, "developer_name": labels.DEVELOPER_NAME,
            "pct": labels.percent}


def _shown_at(errors_key: str, field: str | None = None, row=None):
    """A ``FormPage.problem`` for a page with several forms: the fields' messages under
    ``errors_key`` (only ``field``'s message, at ``row``, for a form in a list's row), any
    other problem as the page's one ``error``."""

    def problem(exc: UserError) -> dict:
        if not isinstance(exc, FieldErrors):
            return problem_of(exc)
        return {errors_key: exc.errors if field is None else {row: exc.errors[field]}}

    return problem


def _can(request: Request, estate) -> dict[str, bool]:
    actor = current_actor(request)
    return {action: services.may(action, actor, estate) for action in (
        "manage_owner_register", "manage_owner_matter", "cast_owner_ballot",
        "enter_owner_paper_ballot", "void_owner_ballot", "view_owner_turnout")}


async def _upload(form, name: str = "file") -> tuple[str, bytes]:
    item = form.get(name)
    if isinstance(item, UploadFile):
        return item.filename or "", await item.read()
    return "", b""


def _csv(text: str, filename: str) -> Response:
    return download(excel_csv(text), filename, CSV_TYPE)


def _file(path, content_type: str, filename: str) -> FileResponse:
    return FileResponse(path, media_type=content_type, headers={
        "content-disposition": f"inline; filename*=UTF-8''{quote(filename)}",
        "cache-control": "private, max-age=3600"})
