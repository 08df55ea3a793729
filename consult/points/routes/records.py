"""The committee's audit page: every approval and correction of the club, who and when."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult.i18n import N_
from consult.points.services import audit_log, clubs
from consult.web.auth import current_actor
from consult.web.auth import require as require_page
from consult.web.db import get_db
from consult.web.templating import render

ACTION_NAMES = {
    "points_attendance_approved": N_("Attendance approved"),
    "points_attendance_rejected": N_("Attendance refused"),
    "points_correction_proposed": N_("Correction proposed"),
    "points_correction_confirmed": N_("Correction confirmed"),
    "points_correction_refused": N_("Correction refused"),
}


async def staff_audit(request: Request):
    require_page(request, "view_staff_area")
    db = get_db(request)
    at = clubs.load(db, request.path_params["club_id"])
    rows = audit_log.entries(db, current_actor(request), at)
    return render(request, "points/staff_audit.html", {"at": at, "rows": rows, "action_names": ACTION_NAMES})


routes = [Route("/staff/points/clubs/{club_id:int}/audit", staff_audit, methods=["GET"], name="staff_points_audit")]
