"""Writing the audit log: one call, :func:`record`, in the caller's transaction.

Every service that changes something records here, accounts' included, so this module
knows only its own table; reading the log with its people and places is
:mod:`consult.audit.log`."""

from __future__ import annotations

from sqlalchemy.orm import Session

from consult.audit.models import AuditEntry


def record(
    db: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None = None,
    place_id: int | None = None,
    reason: str | None = None,
    **details,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        place_id=place_id,
        reason=reason,
        details=details,
    )
    db.add(entry)
    return entry

