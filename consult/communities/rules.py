"""Pure rules about places and verification requests."""

from __future__ import annotations

from consult.communities.models import PLACE_KINDS, ROLES
from consult.i18n import N_, Msg
from consult.parsing import format_area as format_area  # one way to show an area, everywhere

CHILD_KIND = {"subdistrict": "area", "area": "estate", "estate": "building_group"}


def child_kind_problem(parent_kind: str | None, kind: str) -> Msg | None:
    """A place must sit directly under the kind above it (a sub-district is the root)."""
    if kind not in PLACE_KINDS:
        return Msg(N_("Unknown kind of place."))
    if parent_kind is None:
        return None if kind == "subdistrict" else Msg(N_("This kind of place needs a parent."))
    if CHILD_KIND.get(parent_kind) != kind:
        return Msg(N_("This kind of place cannot be placed there."))
    return None


def role_problem(role: str) -> Msg | None:
    return None if role in ROLES else Msg(N_("Unknown role."))


def refusal_reason_problem(reason: str) -> Msg | None:
    reason = reason.strip()
    if not reason:
        return Msg(N_("Please give a reason; the person will see it."))
    if len(reason) > 200:
        return Msg(N_("The reason must have at most %(max)s characters."), {"max": 200})
    return None


ROLE_NAMES = {
    "resident": N_("Resident"),
    "owner": N_("Owner"),
    "moderator": N_("Moderator"),
    "expert": N_("Expert"),
    "owners_rep": N_("Owners' representative"),
    "admin": N_("Sub-district admin"),
}
KIND_NAMES = {
    "subdistrict": N_("Sub-district"),
    "area": N_("Residential area"),
    "estate": N_("Estate"),
    "building_group": N_("Building group"),
}
CHILD_HEADINGS = {
    "subdistrict": N_("Residential areas"),
    "area": N_("Estates"),
    "estate": N_("Building groups"),
    "building_group": N_("Homes"),
}
REQUEST_STATUS_NAMES = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "refused": N_("Refused"),
}
