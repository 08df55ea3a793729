"""The residents' register and ballots as CSV, in the recount command's formats: staff
only, the ballots after the close; recounting the exports with ``python -m consult elect``
gives the result page's figures."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from consult import clock
from consult.__main__ import main
from consult.elections import services
from consult.errors import Conflict, Forbidden
from tests import factories
from tests.elections.conftest import AFTER, NOW
from tests.elections.test_residents import election  # the fixture: 5 voters, 3 candidates

__all__ = ["election"]


def test_the_exports_recount_to_the_result(world, db, election, tmp_path, capsys):
    election, residents, (a, b, c) = election
    for user, chosen in zip(residents[:3], ([a, b], [a], []), strict=True):
        services.cast_resident_ballot(db, world.actor(user), user, election.id, candidates=chosen, now=NOW)
    with pytest.raises(Conflict):  # the ballots only once voting has closed
        services.resident_ballots_csv(db, world.staff, election.id, NOW)
    with pytest.raises(Forbidden):
        services.resident_register_csv(db, world.actor(residents[0]), election.id, NOW)
    _, voters = services.resident_register_csv(db, world.staff, election.id, AFTER)
    _, ballots = services.resident_ballots_csv(db, world.staff, election.id, AFTER)
    lines = voters.splitlines()
    assert lines[0] == "voter_id" and sorted(lines[1:]) == sorted(str(v.id) for v in services.voters_of(db, election))
    assert ballots.splitlines()[0] == "voter_id,candidates" and len(ballots.splitlines()) == 4
    (tmp_path / "voters.csv").write_text(voters, encoding="utf-8")
    (tmp_path / "ballots.csv").write_text(ballots, encoding="utf-8")
    status = main(["elect", "--voters", str(tmp_path / "voters.csv"), "--ballots", str(tmp_path / "ballots.csv"),
                   "--seats", str(election.seats)])
    recount = json.loads(capsys.readouterr().out)
    _, _, outcome = services.resident_result(db, election.id, AFTER)
    assert status == 0 and recount["voted"] == 3 and recount["valid"] is True
    assert recount["elected"] == list(outcome.elected) == [a]
    assert {x["id"]: x["votes"] for x in recount["candidates"]} == {a: 2, b: 1}


def test_the_result_page_links_the_exports_for_staff(client, world, db, settings):
    from tests.elections.test_nominations import _election

    now = clock.utcnow()
    closed = _election(db, world, voters=1, opens=now - timedelta(days=2), closes=now - timedelta(days=1))
    factories.sign_in(client, world.moderator.login)
    page = client.get(f"/resident-elections/{closed.id}/result")
    assert page.status_code == 200 and "voters.csv" in page.text
    assert client.get(f"/resident-elections/{closed.id}/voters.csv").text.lstrip("\ufeff") == "voter_id\n"  # a BOM for Excel
    assert client.get(f"/resident-elections/{closed.id}/ballots.csv").text.lstrip("\ufeff") == "voter_id,candidates\n"
    client.cookies.clear()
    refused = client.get(f"/resident-elections/{closed.id}/ballots.csv", follow_redirects=False)
    assert refused.status_code in (302, 303, 401, 403) and "voter_id" not in refused.text
