"""The owners' vote services against a real database: register, matters, ballots, counts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from consult.audit.models import AuditEntry
from consult.communities.models import Home, HomeOwner, RoleAssignment
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import translator
from consult.owners import register, rules, services
from consult.owners.labels import LINE_MESSAGES, line_error_msg
from consult.owners.models import OwnerBallot, OwnerMatterRegister
from tests import factories
from tests.owners.conftest import AFTER, BEFORE, CLOSES, HOMES, NOW, OPENS

zh = translator("zh_Hans")
en = translator("en")


def codes(db, estate) -> list[str]:
    return list(db.exec(select(Home.code).where(Home.estate_id == estate.id).order_by(Home.id)).all())


# -- the register --------------------------------------------------------------------------


def test_estate_homes_reads_the_register_back_exactly(world, db):
    homes = services.estate_homes(db, world.estate)
    assert homes == register.parse_homes_csv(HOMES)
    totals = rules.register_totals(homes)
    assert (totals.area_total, totals.owners_total, totals.homes_total) == (Decimal("600.00"), 4, 7)


def test_register_page_shows_totals_under_the_rules(world, db):
    page = services.register_page(db, world.staff, world.estate)
    assert page.totals.owners_total == 4
    assert page.totals.area_total_cents == 60000
    assert [h.code for h in page.homes] == ["1-101", "1-102", "1-103", "1-104", "1-105", "1-106", "1-107"]
    li_home = page.homes[0]
    [(owner, user)] = page.owners[li_home.id]
    assert owner.name == "li" and user.id == world.li.id


def test_bad_register_reports_every_line_and_changes_nothing(world, db):
    before = services.estate_homes(db, world.estate)
    bad = (
        "home_id,building,room,area_m2,owners,developer_held\n"
        "2-101,2,101,89.505,li,0\n"
        "2-102,2,102,abc,,0\n"
        "2-101,2,103,50,wang,2\n"
    )
    with pytest.raises(services.RegisterRejected) as caught:
        services.import_register(db, world.staff, world.estate, filename="r.csv",
                                 data=bad.encode(), now=NOW)
    shown = [zh(m) for m in caught.value.messages]
    assert shown[0] == "第 2 行：面积“89.505”的小数超过两位。"
    assert any(s.startswith("第 3 行：") and "abc" in s for s in shown)
    assert any(s.startswith("第 3 行：") and "2-102" in s for s in shown)  # no owners
    assert any(s.startswith("第 4 行：") and "第 2 行" in s for s in shown)  # duplicate id
    assert any(s.startswith("第 4 行：") and "“2”" in s for s in shown)  # developer_held
    assert len(shown) == 5
    assert services.estate_homes(db, world.estate) == before


def test_register_messages_say_in_english_what_the_command_line_says():
    """Every parser error has a catalogue msgid that renders to the parser's own English."""
    params = {"expected": "a,b", "found": "c", "home_id": "1-101", "first_line": 2,
              "value": "x", "name": "f.csv", "reason": "bad", "choice": "agree",
              "first_choice": "disagree", "first_home_id": "1-102"}
    assert set(register.MESSAGES) == set(LINE_MESSAGES)
    for code in register.MESSAGES:
        error = register.LineError(code, 7, params)
        assert en(line_error_msg(error)) == error.message
        assert zh(line_error_msg(error)) != error.message  # and it is in the catalogue


def test_reimport_updates_removes_and_keeps_links(world, db):
    text = (
        "home_id,building,room,area_m2,owners,developer_held\n"
        "1-101,1,101,101.25,li,0\n"  # corrected area
        "1-102,1,102,100.00,li;sun,0\n"  # li now co-owns 1-102 with sun
        "1-108,1,108,70.00,qian,0\n"  # new
    )
    summary = services.import_register(db, world.staff, world.estate, filename="r.csv",
                                       data=text.encode("gb18030"), now=NOW)
    assert (summary.created, summary.updated, summary.removed) == (1, 2, 5)
    assert codes(db, world.estate) == ["1-101", "1-102", "1-108"]
    links = dict(db.exec(select(HomeOwner.name, HomeOwner.user_id).join(Home).where(
        Home.code == "1-102", Home.estate_id == world.estate.id)).all())
    assert links == {"li": world.li.id, "sun": None}
    totals = rules.register_totals(services.estate_homes(db, world.estate))
    assert (totals.area_total, totals.owners_total) == (Decimal("271.25"), 3)


def test_import_from_excel(world, db):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (list(register.HOME_COLUMNS), ["9-1", "9", "1", 88.5, "ma", 0], ["9-2", "9", "2", "60.25", "", 1]):
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    services.import_register(db, world.staff, world.estate, filename="r.xlsx", data=data.getvalue(), now=NOW)
    homes = services.estate_homes(db, world.estate)
    assert [(h.home_id, h.area, h.owners, h.developer_held) for h in homes] == [
        ("9-1", Decimal("88.50"), ("ma",), False), ("9-2", Decimal("60.25"), (), True)]


def test_unreadable_upload_is_refused_with_a_message(world, db):
    with pytest.raises(services.RegisterRejected) as caught:
        services.import_register(db, world.staff, world.estate, filename="r.xlsx",
                                 data=b"PK\x03\x04garbage", now=NOW)
    assert [zh(m) for m in caught.value.messages] == ["无法读取文件 r.xlsx：BadZipFile。"]
    assert len(codes(db, world.estate)) == 7


def test_overlong_values_are_refused(world, db):
    text = "home_id,building,room,area_m2,owners,developer_held\n1,1,1,10," + "名" * 81 + ",0\n"
    with pytest.raises(services.RegisterRejected):
        services.import_register(db, world.staff, world.estate, filename="r.csv",
                                 data=text.encode(), now=NOW)


def test_register_is_frozen_while_voting_and_scheduled_matters_follow_it(world, db):
    scheduled = world.matter(opens=NOW + timedelta(days=2), closes=NOW + timedelta(days=9), now=NOW)
    text = HOMES.replace("1-107,1,107,100.00,qian,0", "1-107,1,107,100.01,qian,0")
    services.import_register(db, world.staff, world.estate, filename="r.csv", data=text.encode(), now=NOW)
    assert services.outcome(db, scheduled).area_total == Decimal("600.01")
    # once it is open, neither an import nor an edit may change the register
    open_at = NOW + timedelta(days=3)
    with pytest.raises(Conflict):
        services.import_register(db, world.staff, world.estate, filename="r.csv",
                                 data=HOMES.encode(), now=open_at)
    home = db.exec(select(Home).where(Home.code == "1-107")).one()
    with pytest.raises(Conflict):
        services.update_home(db, world.staff, home.id, building="1", room="107", area="1",
                             owners="qian", developer_held=False, now=open_at)
    # after the close, the register may change again, but the closed count does not move
    later = NOW + timedelta(days=10)
    services.import_register(db, world.staff, world.estate, filename="r.csv", data=HOMES.encode(), now=later)
    assert services.estate_homes(db, world.estate) == register.parse_homes_csv(HOMES)
    assert services.outcome(db, scheduled).area_total == Decimal("600.01")


def test_edit_home_checks_like_the_register(world, db):
    home = db.exec(select(Home).where(Home.code == "1-103")).one()
    with pytest.raises(FieldErrors) as caught:
        services.update_home(db, world.staff, home.id, building="", room="103", area="50.505",
                             owners="", developer_held=False, now=NOW)
    assert set(caught.value.errors) == {"building", "area", "owners"}
    assert zh(caught.value.errors["area"]) == "面积“50.505”的小数超过两位。"
    services.update_home(db, world.staff, home.id, building="1", room="103", area="60",
                         owners="zhao; wang ;li", developer_held=False, now=NOW)
    homes = {h.home_id: h for h in services.estate_homes(db, world.estate)}
    assert homes["1-103"].area_cents == 6000
    assert set(homes["1-103"].owners) == {"zhao", "wang", "li"}
    # wang's account link on this home survived the edit
    linked = db.exec(select(HomeOwner.user_id).where(HomeOwner.home_id == home.id,
                                                     HomeOwner.name == "wang")).one()
    assert linked == world.wang.id
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "edit_owner_home")).first()


def test_link_owner_by_phone_links_every_home_of_that_owner_and_grants_the_role(world, db, settings):
    person = factories.user(db, settings, name="qian")
    owner = world.owner_row("qian")
    with pytest.raises(FieldErrors) as caught:
        services.request_link(db, world.staff, owner.id, phone="13000000000", now=NOW)
    assert "phone" in caught.value.errors
    world.link("qian", person)
    assert db.exec(select(RoleAssignment).where(
        RoleAssignment.user_id == person.id, RoleAssignment.role == "owner",
        RoleAssignment.place_id == world.estate.id)).one()
    li_rows = db.exec(select(HomeOwner.user_id).where(HomeOwner.name == "li")).all()
    assert li_rows == [world.li.id, world.li.id]  # both of li's homes, from one link
    services.unlink_owner(db, world.staff, owner.id)
    assert db.get(HomeOwner, owner.id).user_id is None


def test_only_register_managers_touch_the_register(world, db):
    with pytest.raises(Forbidden):
        services.import_register(db, world.actor(world.li), world.estate, filename="r.csv",
                                 data=HOMES.encode(), now=NOW)
    with pytest.raises(Forbidden):
        services.register_page(db, world.actor(world.li), world.estate)


# -- matters -------------------------------------------------------------------------------


def test_create_matter_checks_its_fields(world, db):
    with pytest.raises(FieldErrors) as caught:
        services.create_matter(db, world.staff, world.estate, title=" ", kind="coup",
                               description="", opens_at="2026-12-05T09:00",
                               closes_at="2026-12-04T09:00", paper_double_key=False, now=NOW)
    assert set(caught.value.errors) == {"title", "kind", "closes_at"}


def test_a_matter_is_counted_against_a_copy_of_the_register(world, db):
    matter = services.create_matter(
        db, world.staff, world.estate, title="更换电梯", kind="maintenance_fund_use",
        description="", opens_at="2026-12-02T09:00", closes_at="2026-12-20T17:00",
        paper_double_key=True, now=NOW)
    assert matter.opens_at == datetime(2026, 12, 2, 1, tzinfo=UTC)  # 09:00 Beijing time
    copy = db.get(OwnerMatterRegister, matter.id).homes_csv
    assert register.parse_homes_csv(copy) == services.estate_homes(db, world.estate)


def test_a_matter_needs_a_register(world, db, settings):
    from consult.communities import services as communities

    moderator_b = factories.user(db, settings)
    communities.grant_role(db, user=moderator_b, role="moderator", place=world.tree["area_b"])
    with pytest.raises(Conflict):
        services.create_matter(db, world.actor(moderator_b), world.other_estate, title="x",
                               kind="ordinary", description="", opens_at=OPENS, closes_at=CLOSES,
                               paper_double_key=False, now=BEFORE)


# -- ballots -------------------------------------------------------------------------------


def test_voices_show_the_homes_and_area_a_ballot_covers(world, db):
    matter = world.matter()
    [li] = services.voices(db, world.li, matter)
    assert [h.home_id for h in li.homes] == ["1-101", "1-102"]
    assert li.area_cents == 20000 and li.ballot is None
    [wang] = services.voices(db, world.wang, matter)
    [zhao] = services.voices(db, world.zhao, matter)
    assert wang.digest == zhao.digest  # co-owners are one owner
    assert [h.home_id for h in wang.homes] == ["1-103", "1-104"]


def test_one_ballot_per_owner_whoever_of_them_votes(world, db):
    matter = world.matter()
    world.vote(world.wang, matter, "agree")
    with pytest.raises(Conflict) as caught:
        world.vote(world.zhao, matter, "disagree")
    assert caught.value.code == "already_voted"
    [voice] = services.voices(db, world.zhao, matter)
    assert voice.ballot.choice == "agree"


def test_the_database_refuses_a_second_active_ballot(world, db):
    matter = world.matter()
    ballot = world.vote(world.li, matter)
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(OwnerBallot(matter_id=matter.id, owner_key=ballot.owner_key, owner_label="li",
                           home_code="1-102", choice="disagree", channel="paper"))
        db.flush()


def test_voting_only_while_open(world, db):
    matter = world.matter()
    for moment, code in ((BEFORE, "not_open"), (AFTER, "closed")):
        with pytest.raises(Conflict) as caught:
            world.vote(world.li, matter, now=moment)
        assert caught.value.code == code
    with pytest.raises(FieldErrors):
        world.vote(world.li, matter, choice="maybe")


def test_not_linked_means_no_online_ballot(world, db, settings):
    matter = world.matter()
    stranger = factories.user(db, settings)
    from consult.communities import services as communities

    communities.grant_role(db, user=stranger, role="owner", place=world.estate)
    assert services.voices(db, stranger, matter) == []
    with pytest.raises(Forbidden):
        services.cast_web_ballot(db, world.actor(stranger), stranger, matter.id, owner="",
                                 choice="agree", now=NOW)
    # nor can li pass off wang's owner as her own
    [wang] = services.voices(db, world.wang, matter)
    with pytest.raises(Forbidden):
        services.cast_web_ballot(db, world.actor(world.li), world.li, matter.id,
                                 owner=wang.digest, choice="agree", now=NOW)


def test_a_buyer_listed_on_developer_stock_does_not_vote_for_the_developer(world, db, settings):
    text = HOMES.replace("1-105,1,105,100.00,,1", "1-105,1,105,100.00,ma,1")
    services.import_register(db, world.staff, world.estate, filename="r.csv", data=text.encode(), now=NOW)
    buyer = factories.user(db, settings, name="ma")
    world.link("ma", buyer)
    assert services.voices(db, buyer, world.matter()) == []


def test_paper_ballot_single_keyed_counts(world, db):
    matter = world.matter()
    entry = services.enter_paper_ballot(db, world.staff, matter.id, serial="A001", home="1-105",
                                        choice="disagree", now=NOW)
    assert entry.outcome == "entered" and entry.ballot.status == "final"
    result = services.outcome(db, matter)
    assert (result.owners_voted, result.area_voted, result.owners_disagree) == (1, Decimal("200.00"), 1)
    # the developer's other home is the same owner
    with pytest.raises(Conflict):
        services.enter_paper_ballot(db, world.staff, matter.id, serial="A002", home="1-106",
                                    choice="agree", now=NOW)
    with pytest.raises(FieldErrors):
        services.enter_paper_ballot(db, world.staff, matter.id, serial="A003", home="9-999",
                                    choice="agree", now=NOW)


def test_double_keying_counts_only_matching_entries(world, db):
    matter = world.matter(double_key=True)
    first = services.enter_paper_ballot(db, world.staff, matter.id, serial="P1", home="1-107",
                                        choice="agree", now=NOW)
    assert first.ballot.status == "awaiting_second"
    assert services.outcome(db, matter).owners_voted == 0
    with pytest.raises(Conflict) as caught:  # the same person cannot check themselves
        services.enter_paper_ballot(db, world.staff, matter.id, serial="P1", home="1-107",
                                    choice="agree", now=NOW)
    assert caught.value.code == "same_keyer"
    second = world.actor(world.moderator2)
    confirmed = services.enter_paper_ballot(db, second, matter.id, serial="P1", home="1-107",
                                            choice="agree", now=NOW)
    assert confirmed.outcome == "confirmed"
    assert services.outcome(db, matter).owners_agree == 1
    with pytest.raises(Conflict):
        services.enter_paper_ballot(db, second, matter.id, serial="P1", home="1-107",
                                    choice="agree", now=NOW)

    services.enter_paper_ballot(db, world.staff, matter.id, serial="P2", home="1-105",
                                choice="agree", now=NOW)
    mismatch = services.enter_paper_ballot(db, second, matter.id, serial="P2", home="1-105",
                                           choice="disagree", now=NOW)
    assert mismatch.outcome == "mismatch"
    assert services.outcome(db, matter).owners_voted == 1  # not counted until resolved
    assert services.turnout(db, world.staff, matter.id)[2].uncounted == 1
    with pytest.raises(Forbidden):  # the first keyer does not settle the dispute about it
        services.resolve_mismatch(db, world.staff, mismatch.ballot.id, keep="second", now=NOW)
    services.resolve_mismatch(db, second, mismatch.ballot.id, keep="second", now=NOW)
    kept = db.get(OwnerBallot, mismatch.ballot.id)  # both keyings stay on the ballot
    assert (kept.choice, kept.second_choice) == ("disagree", "agree")
    result = services.outcome(db, matter)
    assert (result.owners_voted, result.owners_disagree, result.area_disagree) == (2, 1, Decimal("200.00"))


def test_resolving_to_an_owner_who_already_voted_is_refused(world, db):
    matter = world.matter(double_key=True)
    world.vote(world.li, matter)
    services.enter_paper_ballot(db, world.staff, matter.id, serial="P9", home="1-107",
                                choice="agree", now=NOW)
    entry = services.enter_paper_ballot(db, world.actor(world.moderator2), matter.id, serial="P9",
                                        home="1-101", choice="agree", now=NOW)
    assert entry.outcome == "mismatch"
    second = world.actor(world.moderator2)
    with pytest.raises(Conflict):
        services.resolve_mismatch(db, second, entry.ballot.id, keep="second", now=NOW)
    services.resolve_mismatch(db, second, entry.ballot.id, keep="first", now=NOW)
    assert db.get(OwnerBallot, entry.ballot.id).home_code == "1-107"


def test_proxy_ballot_names_the_holder_and_keeps_the_scan(world, db, settings):
    matter = world.matter()
    with pytest.raises(FieldErrors) as caught:
        services.enter_proxy_ballot(db, world.staff, settings, matter.id, home="1-107",
                                    choice="agree", holder=" ", filename="", scan=b"", now=NOW)
    assert set(caught.value.errors) == {"holder", "file"}
    with pytest.raises(FieldErrors):
        services.enter_proxy_ballot(db, world.staff, settings, matter.id, home="1-107",
                                    choice="agree", holder="钱小明", filename="x.exe",
                                    scan=b"MZ not a document", now=NOW)
    ballot = services.enter_proxy_ballot(db, world.staff, settings, matter.id, home="1-107",
                                         choice="agree", holder="钱小明", filename="委托书.pdf",
                                         scan=b"%PDF-1.4 signed", now=NOW)
    assert ballot.channel == "proxy" and ballot.proxy_holder == "钱小明"
    _, path = services.proxy_scan(db, world.staff, settings, ballot.id)
    assert path.read_bytes() == b"%PDF-1.4 signed"
    with pytest.raises(Forbidden):
        services.proxy_scan(db, world.actor(world.li), settings, ballot.id)


def test_void_lets_the_owner_vote_again_and_is_audited(world, db):
    matter = world.matter()
    ballot = world.vote(world.li, matter, "disagree")
    with pytest.raises(FieldErrors):
        services.void_ballot(db, world.staff, ballot.id, reason="  ", now=NOW)
    with pytest.raises(Forbidden):
        services.void_ballot(db, world.actor(world.li), ballot.id, reason="mistake", now=NOW)
    services.void_ballot(db, world.staff, ballot.id, reason="业主申请更正", now=NOW)
    with pytest.raises(Conflict):
        services.void_ballot(db, world.staff, ballot.id, reason="again", now=NOW)
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "void_owner_ballot")).one()
    assert entry.reason == "业主申请更正" and entry.target_id == ballot.id
    world.vote(world.li, matter, "agree")
    result = services.outcome(db, matter)
    assert (result.owners_agree, result.owners_disagree) == (1, 0)
    second = world.vote(world.wang, matter)
    with pytest.raises(Conflict):  # not after the close
        services.void_ballot(db, world.staff, second.id, reason="late", now=AFTER)


def test_turnout_for_owners_and_staff_result_only_after_close(world, db):
    matter = world.matter()
    world.vote(world.li, matter, "agree")
    world.vote(world.wang, matter, "abstain")
    services.enter_paper_ballot(db, world.staff, matter.id, serial="1", home="1-106",
                                choice="agree", now=NOW)
    _, _, live = services.turnout(db, world.actor(world.zhao), matter.id)
    assert (live.owners_voted, live.owners_total) == (3, 4)
    assert (live.area_voted, live.area_total) == (Decimal("500.00"), Decimal("600.00"))
    assert live.quorum_met
    assert not hasattr(live, "owners_agree")  # sealed until the close
    with pytest.raises(Conflict):
        services.result(db, matter.id, NOW)
    _, _, final = services.result(db, matter.id, AFTER)
    assert (final.owners_agree, final.area_agree) == (2, Decimal("400.00"))
    assert final.passed  # 2/3 of voters and 4/5 of the voting area: more than half of both


def test_exports_reproduce_the_result_with_the_command(world, db, tmp_path, capsys):
    import json

    from consult.owners.cli import main

    matter = world.matter(kind="major")
    world.vote(world.li, matter, "agree")
    world.vote(world.zhao, matter, "agree")
    services.enter_paper_ballot(db, world.staff, matter.id, serial="9", home="1-105",
                                choice="disagree", now=NOW)
    with pytest.raises(Conflict):
        services.ballots_csv(db, world.staff, matter.id, NOW)
    _, homes_text = services.matter_register_csv(db, world.staff, matter.id)
    _, ballots_text = services.ballots_csv(db, world.staff, matter.id, AFTER)
    (tmp_path / "homes.csv").write_text(homes_text, encoding="utf-8")
    (tmp_path / "ballots.csv").write_text(ballots_text, encoding="utf-8")
    assert main(["tally", "--homes", str(tmp_path / "homes.csv"), "--ballots",
                 str(tmp_path / "ballots.csv"), "--matter", matter.kind]) == 0
    printed = json.loads(capsys.readouterr().out)
    _, _, shown = services.result(db, matter.id, AFTER)
    from consult.owners.cli import outcome_json

    assert printed == outcome_json(shown)
    assert printed["owners_voted"] == 3 and printed["area_agree"] == "300.00"
