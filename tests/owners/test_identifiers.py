"""Owners told apart by an identifier, not a name; Chinese headers; Excel registers."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select

from consult.communities.models import Home, HomeOwner
from consult.owners import register, rules, services
from consult.owners.cli import main
from consult.owners.models import OwnerLink
from tests import factories
from tests.conftest import csrf_from
from tests.owners.conftest import NOW

EN = "home_id,building,room,area_m2,owners,developer_held,owner_ids\n"
ZH = "房号,楼号,室号,面积（㎡）,业主,开发商持有,业主证件号\n"
ROWS = (
    "1-101,1,101,100.00,张三,0,A001\n"
    "1-102,1,102,80.00,张三,0,B002\n"  # another 张三: another owner
    "1-103,1,103,60.00,张叁,0,A001\n"  # A001 again, name typed differently: the same owner
    "1-104,1,104,50.00,李四;王五,0,C003;D004\n"
    "1-105,1,105,40.00,,1,\n"
)


def xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- the rules --------------------------------------------------------------------------


def test_two_owners_of_one_name_are_two_and_one_identifier_is_one() -> None:
    a = rules.Home("1", "1", "1", Decimal("100"), ("张三",), False, ("A001",))
    b = rules.Home("2", "1", "2", Decimal("80"), ("张三",), False, ("B002",))
    c = rules.Home("3", "1", "3", Decimal("60"), ("张叁",), False, ("A001",))
    by_owner = rules.holdings([a, b, c])
    assert len(by_owner) == 2
    assert by_owner[a.owner].home_ids == ("1", "3")
    assert by_owner[a.owner].area_cents == 16000
    assert by_owner[a.owner].names == ("张三", "张叁")  # both spellings shown
    assert a.owner != b.owner and rules.owner_digest(a.owner) != rules.owner_digest(b.owner)
    assert rules.register_totals([a, b, c]).owners_total == 2


def test_without_identifiers_names_tell_owners_apart_as_before() -> None:
    a = rules.Home("1", "1", "1", Decimal("100"), ("张三",), False)
    b = rules.Home("2", "1", "2", Decimal("80"), ("张三",), False)
    assert a.owner == b.owner == frozenset({"张三"})
    # the digest of a names-only owner is what it always was: stored ballots still match
    assert rules.owner_digest(a.owner) == rules.owner_digest(frozenset({"张三"}))
    assert rules.same_name_owners([a, b]) == {"张三": 2}


def test_an_identifier_never_equals_a_name() -> None:
    named = rules.Home("1", "1", "1", Decimal("1"), ("A001",), False)
    identified = rules.Home("2", "1", "2", Decimal("1"), ("张三",), False, ("A001",))
    assert named.owner != identified.owner


@pytest.mark.parametrize("ids", [("A001",), ("A001", "B\x1f"), (" A001", "B")])
def test_bad_identifier_tuples_are_refused(ids) -> None:
    with pytest.raises(ValueError):
        rules.Home("1", "1", "1", Decimal("1"), ("张三", "李四"), False, ids)


def test_a_home_label_shows_names_never_identifiers() -> None:
    home = rules.Home("1", "1", "1", Decimal("1"), ("王五", "李四"), False, ("D", "C"))
    assert rules.home_label(home) == "李四; 王五"


# --- reading a register -------------------------------------------------------------------


@pytest.mark.parametrize("header", [EN, ZH, "房号,楼号,室号,面积,业主,开发商持有,产权证号\n",
                                    "Owner_IDs,Owners,Developer_Held,Area_m2,Room,Building,Home_ID\n"])
def test_each_header_set_reads_the_same_register(header: str) -> None:
    rows = ROWS
    if header.startswith("Owner_IDs"):  # the same columns in another order
        rows = "".join(
            ",".join([c[6], c[4], c[5], c[3], c[2], c[1], c[0]]) + "\n"
            for c in (line.split(",") for line in ROWS.splitlines()))
    read = register.read_homes_csv(header + rows)
    assert read.warnings == []
    assert read.homes == register.read_homes_csv(EN + ROWS).homes
    assert rules.register_totals(read.homes).owners_total == 4  # 张三 A001, 张三 B002, the couple, developer
    assert read.homes[3].owner_ids == ("C003", "D004")


def test_chinese_yes_no_for_developer_held() -> None:
    homes = register.parse_homes_csv("房号,楼号,室号,面积,业主,开发商持有\n1,1,1,10,甲,否\n2,1,2,10,,是\n")
    assert [h.developer_held for h in homes] == [False, True]


def test_names_only_register_is_read_with_a_warning_naming_merged_names() -> None:
    read = register.read_homes_csv("房号,楼号,室号,面积,业主,开发商持有\n"
                                   "1,1,1,10,张三,0\n2,1,2,10,张三,0\n3,1,3,10,李四,0\n")
    assert [w.code for w in read.warnings] == ["names_only", "names_merged"]
    assert read.warnings[1].params == {"count": 1, "names": "张三 (2)"}
    assert rules.register_totals(read.homes).owners_total == 2


def test_homes_missing_identifiers_are_warned_about() -> None:
    read = register.read_homes_csv(EN + "1,1,1,10,张三,0,A\n2,1,2,10,李四,0,\n")
    assert [(w.code, w.params) for w in read.warnings] == [
        ("missing_owner_ids", {"count": 1, "line": 3, "home_id": "2"})]
    assert read.homes[1].owner == frozenset({"李四"})


@pytest.mark.parametrize(("row", "code"), [
    ("1,1,1,10,张三;李四,0,A\n", "owner_ids_mismatch"),
    ("1,1,1,10,张三,0,A;B\n", "owner_ids_mismatch"),
    ("1,1,1,10,张三;李四,0,A;\n", "owner_ids_mismatch"),
    ("1,1,1,10,张三;张三,0,A;B\n", "same_name_in_home"),
    ("1,1,1,10,张三,0,A\u200b\n", "bad_owner_id"),
])
def test_bad_identifiers_name_their_line(row: str, code: str) -> None:
    with pytest.raises(register.RegisterError) as caught:
        register.read_homes_csv(EN + row)
    assert [(e.code, e.line) for e in caught.value.errors] == [(code, 2)]


@pytest.mark.parametrize("header", [
    "房号,楼号,室号,面积,业主\n",  # 开发商持有 missing
    "房号,房屋编号,室号,面积,业主,开发商持有\n",  # home_id twice
    "房号,楼号,室号,面积,业主,开发商持有,备注\n",  # unknown column
    "房号,楼号,室号,面积,业主,开发商持有,业主证件号,产权证号\n",  # identifiers twice
])
def test_wrong_chinese_headers_are_refused_naming_both_spellings(header: str) -> None:
    with pytest.raises(register.RegisterError) as caught:
        register.read_homes_csv(header + "1,1,1,10,甲,0\n")
    [error] = caught.value.errors
    assert (error.code, error.line) == ("bad_header", 1)
    assert "房号,楼号,室号,面积,业主,开发商持有" in error.message
    assert "home_id,building,room,area_m2,owners,developer_held" in error.message


def test_identifiers_round_trip_through_the_frozen_register_text() -> None:
    homes = register.parse_homes_csv(EN + ROWS)
    text = register.format_homes_csv(homes)
    assert text.splitlines()[0] == EN.strip()
    assert register.parse_homes_csv(text) == homes
    # a names-only register is written as it always was
    plain = register.parse_homes_csv("home_id,building,room,area_m2,owners,developer_held\n1,1,1,10,甲,0\n")
    assert register.format_homes_csv(plain).splitlines()[0] == ",".join(register.HOME_COLUMNS)


def test_xlsx_with_chinese_headers_and_identifiers() -> None:
    data = xlsx([["房号", "楼号", "室号", "面积(m²)", "业主", "开发商持有", "业主证件号"],
                 ["1-101", 1, 101, 100, "张三", 0, "A001"],
                 ["1-102", 1, 102, 80.5, "张三", 0, 2002],  # numeric identifier cell
                 ["1-103", 1, 103, "60", None, "是", None]])
    read = register.read_homes_xlsx(io.BytesIO(data))
    assert [h.owner_ids for h in read.homes] == [("A001",), ("2002",), ()]
    assert read.homes[1].area == Decimal("80.5")
    assert rules.register_totals(read.homes).owners_total == 3


def test_a_file_that_is_not_a_workbook_is_refused_clearly() -> None:
    broken = io.BytesIO(b"PK\x03\x04 not really a zip")
    broken.name = "名册.xlsx"
    with pytest.raises(register.RegisterError) as caught:
        register.read_homes_xlsx(broken)
    assert caught.value.errors[0].code == "unreadable_file"
    assert "名册.xlsx" in caught.value.errors[0].message


# --- the command line ------------------------------------------------------------------------


def test_cli_counts_an_excel_register_with_chinese_headers(tmp_path: Path, capsys) -> None:
    homes = tmp_path / "名册.xlsx"
    homes.write_bytes(xlsx([["房号", "楼号", "室号", "面积", "业主", "开发商持有", "产权证号"],
                            ["1", "1", "1", "100", "张三", "0", "A"],
                            ["2", "1", "2", "100", "张三", "0", "B"]]))
    ballots = tmp_path / "ballots.csv"
    ballots.write_text("home_id,choice,channel\n1,agree,paper\n2,disagree,paper\n", encoding="utf-8")
    code = main(["tally", "--homes", str(homes), "--ballots", str(ballots), "--matter", "ordinary"])
    out, err = capsys.readouterr()
    # two 张三 with different identifiers are two owners, so their different votes both count
    assert (code, err) == (0, "")
    assert '"owners_total": 2' in out and '"owners_agree": 1' in out


def test_cli_refuses_a_bad_register_naming_the_line(tmp_path: Path, capsys) -> None:
    homes = tmp_path / "homes.csv"
    homes.write_text(ZH + "1,1,1,10,张三;李四,0,A\n", encoding="utf-8")
    ballots = tmp_path / "ballots.csv"
    ballots.write_text("home_id,choice,channel\n", encoding="utf-8")
    code = main(["tally", "--homes", str(homes), "--ballots", str(ballots), "--matter", "ordinary"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "Line 2: home 1 lists 2 owners but 1 identifiers" in err


# --- importing -------------------------------------------------------------------------------


def test_import_keeps_identifiers_and_counts_by_them(world, db):
    summary = services.import_register(db, world.staff, world.estate, filename="名册.csv",
                                       data=(ZH + ROWS).encode("gb18030"), now=NOW)
    assert summary.warnings == ()
    assert summary.totals.owners_total == 4
    homes = services.estate_homes(db, world.estate)
    assert homes == register.parse_homes_csv(EN + ROWS)
    assert "owner_ids" in services.register_csv(db, world.staff, world.estate).splitlines()[0]


def test_import_of_a_names_only_register_warns(world, db):
    text = "home_id,building,room,area_m2,owners,developer_held\n1,1,1,10,张三,0\n2,1,2,10,张三,0\n"
    summary = services.import_register(db, world.staff, world.estate, filename="r.csv",
                                       data=text.encode(), now=NOW)
    assert [w.text for w in summary.warnings] == [
        register.WARNINGS["names_only"],
        "%(count)s names are on more than one home and each is counted as one owner: %(names)s. "
        "If some are different people, add an identifier column."]
    assert summary.totals.owners_total == 1


def test_a_bad_excel_upload_changes_nothing(world, db):
    before = services.estate_homes(db, world.estate)
    data = xlsx([["房号", "楼号", "室号", "面积", "业主", "开发商持有", "业主证件号"],
                 ["1", "1", "1", "10", "张三;李四", "0", "A"]])
    with pytest.raises(services.RegisterRejected):
        services.import_register(db, world.staff, world.estate, filename="r.xlsx", data=data, now=NOW)
    assert services.estate_homes(db, world.estate) == before


def test_linking_one_of_two_same_named_owners_links_only_that_one(world, db, settings):
    services.import_register(db, world.staff, world.estate, filename="r.csv",
                             data=(EN + ROWS).encode(), now=NOW)
    first = db.exec(select(HomeOwner).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == world.estate.id, HomeOwner.identifier == "A001").order_by(HomeOwner.id)).first()
    holder = factories.user(db, settings, name="张三")
    link = services.request_link(db, world.staff, first.id, phone=holder.phone, now=NOW)
    assert db.get(OwnerLink, link.id).identifier == "A001"
    services.confirm_link(db, world.actor(holder), link.id, method="owner", now=NOW)
    linked = db.exec(select(Home.code).join(HomeOwner, HomeOwner.home_id == Home.id).where(
        Home.estate_id == world.estate.id, HomeOwner.user_id == holder.id).order_by(Home.code)).all()
    assert linked == ["1-101", "1-103"]  # A001's two homes, not the other 张三's 1-102
    # a re-import keeps the link with the identifier, even under another spelling of the name
    services.import_register(db, world.staff, world.estate, filename="r.csv",
                             data=(EN + ROWS.replace("张叁", "張三")).encode(), now=NOW)
    relinked = db.exec(select(Home.code).join(HomeOwner, HomeOwner.home_id == Home.id).where(
        Home.estate_id == world.estate.id, HomeOwner.user_id == holder.id).order_by(Home.code)).all()
    assert relinked == ["1-101", "1-103"]


def test_web_upload_flashes_the_names_only_warning(client, world):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/register"
    text = "房号,楼号,室号,面积,业主,开发商持有\n1,1,1,10,张三,0\n2,1,2,10,张三,0\n"
    response = client.post(page, data={"csrf_token": csrf_from(client.get(page).text)},
                           files={"file": ("名册.csv", text.encode(), "text/csv")},
                           follow_redirects=False)
    assert response.status_code == 303
    after = client.get(page).text
    assert "只能按姓名区分业主" in after and "张三 (2)" in after


def test_web_upload_of_an_excel_register_with_identifiers(client, world):
    factories.sign_in(client, world.moderator.login)
    page = f"/estates/{world.estate.id}/owners/register"
    data = xlsx([["房号", "楼号", "室号", "面积", "业主", "开发商持有", "业主证件号"],
                 ["1", "1", "1", "10", "张三", "0", "A"], ["2", "1", "2", "10", "张三", "0", "B"]])
    response = client.post(page, data={"csrf_token": csrf_from(client.get(page).text)},
                           files={"file": ("名册.xlsx", data, "application/octet-stream")},
                           follow_redirects=False)
    assert response.status_code == 303
    after = client.get(page)
    assert after.context["register"].totals.owners_total == 2
    assert "[A]" in after.text and "只能按姓名" not in after.text


def test_matters_are_searched_by_title(client, world, db):
    first = world.matter()  # 续聘物业服务企业
    services.create_matter(db, world.staff, world.estate, title="使用维修资金更换电梯",
                           kind="maintenance_fund_use", description="", opens_at=first.opens_at,
                           closes_at=first.closes_at, paper_double_key=False, now=first.created_at)
    assert [m.title for m in services.matters_of(db, world.estate, "电梯")] == ["使用维修资金更换电梯"]
    assert [m.title for m in services.matters_of(db, world.estate, "物业")] == ["续聘物业服务企业"]
    # three characters or more: through the index (consult/db/search.py), the same answers
    assert [m.title for m in services.matters_of(db, world.estate, "维修资金")] == ["使用维修资金更换电梯"]
    assert [m.title for m in services.matters_of(db, world.estate, "服务企业")] == ["续聘物业服务企业"]
    assert services.matters_of(db, world.estate, "电梯维修") == []
    assert services.matters_of(db, world.estate, '"NEAR(物业') == []
    assert len(services.matters_of(db, world.estate)) == 2
    factories.sign_in(client, world.moderator.login)
    page = client.get(f"/estates/{world.estate.id}/owners", params={"q": "电梯"})
    assert [m.title for m in page.context["matters"]] == ["使用维修资金更换电梯"]
    api = client.get(f"/api/v1/estates/{world.estate.id}/owners/matters", params={"q": "电梯"}).json()
    assert [m["title"] for m in api["matters"]] == ["使用维修资金更换电梯"]
