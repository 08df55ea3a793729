"""Completed projects as subjects: a subject linked to a delivered project takes the
residents' stars for it (the ``project`` source).

Ratings know nothing of the domain that delivers projects (an import contract); that
domain registers a :class:`ProjectSource` in ``PROJECT_SOURCES`` when its services are
imported, the way ``consultations.IDEA_PANELS`` and ``voting.OUTCOME_HOOKS`` work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy.orm import Session

from consult.communities.models import Place


@dataclass(frozen=True)
class ProjectSource:
    #: the projects inside a place that may be rated (accepted or in use): (id, title)
    choices: Callable[[Session, Place], list[tuple[int, str]]]
    #: for each project id that has ratings: (mean stars as an exact fraction, number of ratings)
    ratings: Callable[[Session, set[int]], dict[int, tuple[Fraction, int]]]


PROJECT_SOURCES: list[ProjectSource] = []


def project_choices(db: Session, place: Place) -> list[tuple[int, str]]:
    return [choice for source in PROJECT_SOURCES for choice in source.choices(db, place)]


def project_ratings(db: Session, project_ids: set[int]) -> dict[int, tuple[Fraction, int]]:
    found: dict[int, tuple[Fraction, int]] = {}
    if project_ids:
        for source in PROJECT_SOURCES:
            found.update(source.ratings(db, project_ids))
    return found
