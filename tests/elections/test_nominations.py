"""Nominations (≥ N voters or ≥ M household representatives, each counted once, only
registered voters of the election) and the register's modes: one representative per
household, two or three per residents' group."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from consult import clock
from consult.elections import rules, services
from consult.elections.models import ResidentCandidate, ResidentNominator
from consult.errors import Conflict, FieldErrors
from tests.elections.conftest import CLOSES, OPENS

LONG_BEFORE = OPENS - timedelta(days=10)
DAY = date(2026, 12, 1)


def _election(db, world, mode="voters", voters=3, households=2, seats=1, opens=OPENS, closes=CLOSES):
    return services.create_resident_election(
        db, world.staff, world.tree["area_a"], title="居委会换届选举", description="", mode=mode,
        seats=seats, election_day=DAY, opens_at=opens, closes_at=closes,
        nominations_voters=voters, nominations_households=households, now=LONG_BEFORE)


def _voter(db, world, election, name, **place):
    return services.add_voter(db, world.staff, election.id, name=name, birth_date="1960-01-01",
                              now=LONG_BEFORE, **place).id


def _nominate(db, world, election, nominators, by="voters", name="甲"):
    return services.add_resident_candidate(db, world.staff, election.id, name=name, statement="",
                                           nominators=nominators, by=by, now=LONG_BEFORE)


def test_a_nomination_needs_the_threshold_of_distinct_voters(world, db):
    election = _election(db, world, voters=3)
    a, b, c = (_voter(db, world, election, n) for n in ("赵", "钱", "孙"))
    with pytest.raises(FieldErrors) as short:  # two voters, one named twice: 2 of 3
        _nominate(db, world, election, [a, b, a])
    assert "nominators" in short.value.errors
    assert short.value.errors["nominators"].params == {"needed": 3, "counted": 2}
    assert not db.exec(select(ResidentCandidate)).all()
    candidate = _nominate(db, world, election, f"{a}, {b} {c}")  # text as the form sends it
    assert candidate.nominated_by == "voters"
    assert [v.id for v in services.nominators_of(db, candidate)] == [a, b, c]


def test_nominators_must_be_registered_voters_of_this_election(world, db):
    election, other = _election(db, world, voters=1), _election(db, world, voters=1)
    outsider = _voter(db, world, other, "外人")
    removed = _voter(db, world, election, "迁出")
    services.remove_voter(db, world.staff, removed, reason="已迁出", now=LONG_BEFORE)
    for nominators in ([outsider], [removed], ["abc"], []):
        with pytest.raises(FieldErrors) as refused:
            _nominate(db, world, election, nominators)
        assert "nominators" in refused.value.errors
    assert not db.exec(select(ResidentNominator)).all()


def test_household_representatives_count_once_per_household(world, db):
    election = _election(db, world, voters=10, households=2)
    a = _voter(db, world, election, "赵", household="1-101")
    b = _voter(db, world, election, "钱", household="1-101")  # voters mode: a household may have two voters
    c = _voter(db, world, election, "孙")  # no household recorded
    with pytest.raises(FieldErrors) as short:
        _nominate(db, world, election, [a, b, c], by="households")
    assert short.value.errors["nominators"].params == {"needed": 2, "counted": 1}
    d = _voter(db, world, election, "李", household="2-202")
    assert _nominate(db, world, election, [a, d], by="households").nominated_by == "households"
    with pytest.raises(FieldErrors):  # the same two are not ten voters
        _nominate(db, world, election, [a, d], by="voters")
    with pytest.raises(FieldErrors) as bad:
        _nominate(db, world, election, [a, d], by="anyone")
    assert "by" in bad.value.errors


def test_the_thresholds_are_settings_checked_when_calling(world, db):
    with pytest.raises(FieldErrors) as refused:
        _election(db, world, voters="0", households="x")
    assert {"nominations_voters", "nominations_households"} <= set(refused.value.errors)
    assert _election(db, world).nominations_voters == 3


def test_one_representative_per_household(world, db):
    election = _election(db, world, mode="households", voters=1, households=1)
    with pytest.raises(FieldErrors) as missing:
        _voter(db, world, election, "赵")
    assert "household" in missing.value.errors
    first = _voter(db, world, election, "赵", household="3-201")
    with pytest.raises(FieldErrors) as second:
        _voter(db, world, election, "钱", household="3-201")
    assert second.value.errors["household"].params["number"] == first
    services.remove_voter(db, world.staff, first, reason="改由家人代表", now=LONG_BEFORE)
    _voter(db, world, election, "钱", household="3-201")  # the household's new representative


def test_two_or_three_representatives_per_group(world, db):
    election = _election(db, world, mode="groups", voters=1, seats=1)
    with pytest.raises(FieldErrors) as missing:
        _voter(db, world, election, "赵")
    assert "residents_group" in missing.value.errors
    group_one = [_voter(db, world, election, n, residents_group="第一组") for n in ("赵", "钱", "孙")]
    with pytest.raises(FieldErrors) as fourth:
        _voter(db, world, election, "李", residents_group="第一组")
    assert "residents_group" in fourth.value.errors
    _voter(db, world, election, "周", residents_group="第二组")
    assert services.small_groups(db, election) == {"第二组": 1}
    for name in ("甲", "乙"):
        _nominate(db, world, election, [group_one[0]], name=name)
    with pytest.raises(Conflict) as small:
        services.publish_candidates(db, world.staff, election.id, now=LONG_BEFORE)
    assert small.value.code == "small_groups"
    _voter(db, world, election, "吴", residents_group="第二组")
    assert services.small_groups(db, election) == {}
    services.publish_candidates(db, world.staff, election.id, now=LONG_BEFORE)


def test_the_register_page_asks_for_the_household_and_warns_of_small_groups(client, world, db):
    from tests import factories
    from tests.conftest import post_form

    factories.sign_in(client, world.moderator.login)
    soon = clock.utcnow() + timedelta(days=8)  # the pages run on the real clock
    households, groups = (_election(db, world, mode=mode, opens=soon, closes=soon + timedelta(days=1))
                          for mode in ("households", "groups"))
    _voter(db, world, groups, "周", residents_group="第二组")
    _voter(db, world, households, "赵", household="3-201")
    page = f"/resident-elections/{households.id}/register"
    twice = post_form(client, page, f"/resident-elections/{households.id}/voters",
                      {"name": "钱", "birth_date": "1960-01-01", "phone": "", "household": "3-201"})
    assert twice.status_code == 422 and "每户只能有一名代表" in twice.text
    shown = client.get(f"/resident-elections/{groups.id}/register")
    assert shown.status_code == 200 and 'id="small-groups"' in shown.text and "第二组 · 1" in shown.text


def test_group_problems_rule():
    assert rules.group_problems(["a", "a", "b", None]) == {"b": 1}
    assert rules.nominator_count("households", [(1, "x"), (2, "x"), (3, None)]) == 1
    assert rules.nominator_count("voters", [(1, "x"), (1, "x"), (3, None)]) == 2


def _raw_voter(db, election, name, **fields):
    """A register row written past the service, as a second request racing the first would."""
    from consult.elections.models import ResidentVoter

    with db.begin_nested():
        db.add(ResidentVoter(election_id=election.id, name=name, birth_date=date(1960, 1, 1), **fields))
        db.flush()


def test_the_database_holds_one_representative_per_household(world, db):
    from sqlalchemy.exc import IntegrityError

    election = _election(db, world, mode="households", voters=1, households=1)
    first = services.add_voter(db, world.staff, election.id, name="赵", birth_date="1960-01-01",
                               household="3-201", now=LONG_BEFORE)
    assert first.household_seat == 1
    with pytest.raises(IntegrityError):
        _raw_voter(db, election, "钱", household="3-201", household_seat=1)
    with pytest.raises(IntegrityError):  # a seat needs its household
        _raw_voter(db, election, "孙", household_seat=1)
    with pytest.raises(IntegrityError):  # a household has one seat
        _raw_voter(db, election, "李", household="3-202", household_seat=2)
    services.remove_voter(db, world.staff, first.id, reason="改由家人代表", now=LONG_BEFORE)
    _raw_voter(db, election, "钱", household="3-201", household_seat=1)  # the seat is free again


def test_the_database_holds_at_most_three_representatives_per_group(world, db):
    from sqlalchemy.exc import IntegrityError

    election = _election(db, world, mode="groups", voters=1, seats=1)
    seats = [services.add_voter(db, world.staff, election.id, name=n, birth_date="1960-01-01",
                                residents_group="第一组", now=LONG_BEFORE) for n in ("赵", "钱", "孙")]
    assert [v.group_seat for v in seats] == [1, 2, 3]
    for seat in (1, 2, 3, 4):  # a held seat twice, or a fourth seat
        with pytest.raises(IntegrityError):
            _raw_voter(db, election, "李", residents_group="第一组", group_seat=seat)
    services.remove_voter(db, world.staff, seats[1].id, reason="已迁出", now=LONG_BEFORE)
    again = services.add_voter(db, world.staff, election.id, name="李", birth_date="1960-01-01",
                               residents_group="第一组", now=LONG_BEFORE)
    assert again.group_seat == 2  # the freed seat


def test_a_racing_second_representative_gets_the_message_not_a_500(world, db, monkeypatch):
    """The service's check saw a free household (the other request had not committed yet):
    the unique index refuses the row and the person reads why."""
    from consult.elections.services import residents

    election = _election(db, world, mode="households", voters=1, households=1)
    _raw_voter(db, election, "赵", household="3-201", household_seat=1)
    monkeypatch.setattr(residents, "_mode_errors", lambda *a, **k: {})
    with pytest.raises(FieldErrors) as refused:
        _voter(db, world, election, "钱", household="3-201")
    assert "household" in refused.value.errors
