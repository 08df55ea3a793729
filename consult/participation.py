"""Points for taking part in the platform (issue 19 item 7), gathered at the edge.

The points club is independent of consultations and surveys and never builds on votes or
ratings (the import contracts), so this edge module, run by ``python -m consult
finalize-due``, asks each domain's public function for the acts of the clubs' members —
ideas shortlisted, named surveys answered once closed, forums attended once held — and
hands them to the club's ledger, which credits each once, within its caps. No vote is
ever asked for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def credit_due(db: Session, now: datetime) -> int:
    """Credit what the members of clubs with participation points did: entries posted."""
    from consult import consultations, points
    from consult.ratings.services.forums import attended_by
    from consult.surveys.services.reading import named_answers_by

    users = points.participating_users(db)
    if not users:
        return 0
    facts = [*consultations.shortlisted_by(db, users), *named_answers_by(db, users, now),
             *attended_by(db, users, now)]
    return points.credit_participation(db, facts, now)
