"""A long ballot grouped by residential area: the voter's own area first, then the others
by name, and the ideas of no single area last."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BallotGroup:
    area_id: int | None
    name: str
    own: bool
    ideas: list[Any] = field(default_factory=list)


def ballot_groups(ideas: Sequence[Any], *, area_of: Callable[[Any], int | None],
                  names: Mapping[int, str], own_area: int | None, other_name: str) -> list[BallotGroup]:
    """``ideas`` (in ballot order) grouped by ``area_of``; ``names`` names the areas."""
    groups: dict[int | None, BallotGroup] = {}
    for idea in ideas:
        area = area_of(idea)
        if area is not None and area not in names:
            area = None
        if area not in groups:
            groups[area] = BallotGroup(area, names[area] if area is not None else other_name,
                                       area is not None and area == own_area)
        groups[area].ideas.append(idea)
    return sorted(groups.values(), key=lambda g: (not g.own, g.area_id is None, g.name))
