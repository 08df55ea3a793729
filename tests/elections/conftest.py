"""An estate with the owners' tests' small register, and an election on it.

The register (tests/owners/conftest.py): li holds two homes (200 m²), the couple
wang + zhao two homes (100 m²), the developer two unsold homes (200 m²) and qian one home
(100 m²): four owners, 600.00 m². li, wang and zhao are linked to their accounts.
"""

from __future__ import annotations

import pytest

from consult.elections import services
from tests.owners.conftest import AFTER, BEFORE, CLOSES, NOW, OPENS, World

__all__ = ["AFTER", "BEFORE", "CLOSES", "NOW", "OPENS", "ElectionWorld"]


class ElectionWorld(World):
    def election(self, seats=2, rank="headcount", double_key=False, candidates=("甲", "乙", "丙")):
        election = services.create_election(
            self.db, self.staff, self.estate, title="第一届业主委员会选举", description="",
            seats=seats, rank=rank, opens_at=OPENS, closes_at=CLOSES, paper_double_key=double_key,
            now=BEFORE)
        ids = [services.add_candidate(self.db, self.staff, election.id, name=name,
                                      statement="", now=BEFORE).id for name in candidates]
        return election, [str(i) for i in ids]

    def vote(self, user, election, candidates, now=NOW):
        return services.cast_web_ballot(self.db, self.actor(user), user, election.id,
                                        candidates=candidates, now=now)


@pytest.fixture
def world(db, settings) -> ElectionWorld:
    return ElectionWorld(db, settings)
