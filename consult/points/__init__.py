"""The points club (积分制): activities with sign-up, attendance the committee approves
(never one's own), a double-entry append-only ledger, quarterly redemption against a
stock of goods, and each member's passbook (积分存折).

This is the domain's public surface (see :mod:`consult.surface`): other code uses only
what is named here, resolved on first use. ``load_demo`` loads 东王小区's club;
``check_ledger`` compares every member's cached balance with the sum of their entries
and checks that every transfer sums to zero (``python -m consult points-check``); ``remind_due`` tells signed-up members, once, the
day before an activity (``python -m consult finalize-due``).
"""

from consult.surface import surface

_SURFACE = {
    "Activity": "consult.points.models:Activity",
    "Order": "consult.points.models:Order",
    "Prize": "consult.points.models:Prize",
    "RedemptionDay": "consult.points.models:RedemptionDay",  # the audit log names these objects (consult.staffdesk.audit_log)
    "load_demo": "consult.points.demo:load",
    "check_ledger": "consult.points.services.ledger:check",
    "remind_due": "consult.points.services.reminders:remind_due",
    "participating_users": "consult.points.services.participation:participating_users",
    "credit_participation": "consult.points.services.participation:credit",
    "member_balance": "consult.points.services.ledger:member_balance",
    "PointsClub": "consult.points.models:PointsClub",
    "Member": "consult.points.models:Member",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
