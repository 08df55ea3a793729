"""Service hours as a 证明 (a print page) and as the 志愿服务 record export: the member,
the hours by kind of activity and in all, who approved each, the club's name; the member
and staff may open it, nobody else."""

from __future__ import annotations

from datetime import timedelta

from consult import clock
from consult.points.services import activities, attendance
from tests import factories
from tests.points.builders import sheet_photo, world
from tests.surveys.builders import person


def _approved(db, settings):
    w = world(db, settings, residents=1)
    now = clock.utcnow()
    member = w.residents[0][2]
    for title, kind, hours in (("楼道清洁", "team", 2), ("重阳敬老", "special", 1), ("花园除草", "team", 1)):
        a = activities.create_activity(db, w.staff[1], w.at, activities.ActivityDraft(
            title=title, kind=kind, venue="活动室", starts_at=now - timedelta(hours=hours + 1),
            ends_at=now - timedelta(hours=1)), now=now)
        att = attendance.record(db, w.staff[1], w.at, a, now=now, card_code=member.card_code)
        attendance.approve(db, w.second[1], w.at, a, [str(att.id)], photo=sheet_photo(),
                           media_dir=settings.media_dir, now=now)
    db.commit()
    return w, member


def test_the_member_prints_a_certificate_of_service_hours(db, settings, client):
    w, member = _approved(db, settings)
    factories.sign_in(client, w.residents[0][0].login)
    page = client.get(f"/points/members/{member.id}/hours")
    assert page.status_code == 200
    assert 'class=" print-page' in page.text or "print-page" in page.text.split("<body", 1)[1].split(">", 1)[0]
    assert w.at.club.name in page.text and member.name in page.text
    assert page.context["total"] == "4.00"
    assert page.context["by_kind"] == [("team", 2, 180), ("special", 1, 60)]
    approver = w.second[0].display_name
    assert all(row[2] == approver for row in page.context["rows"]) and approver in page.text
    assert f"/points/members/{member.id}/hours" in client.get(f"/points/members/{member.id}").text


def test_staff_open_the_certificate_and_others_may_not(db, settings, client):
    w, member = _approved(db, settings)
    factories.sign_in(client, w.staff[0].login)
    assert client.get(f"/points/members/{member.id}/hours").status_code == 200
    assert f"/points/members/{member.id}/hours" in client.get(
        f"/staff/points/clubs/{w.at.club.id}/members/{member.id}").text
    stranger, _ = person(db, settings, "resident", w.tree["area_a"], name="路人甲")
    db.commit()
    factories.sign_in(client, stranger.login)
    assert client.get(f"/points/members/{member.id}/hours").status_code == 403


def test_the_hours_export_holds_what_a_volunteer_record_needs(db, settings, client):
    w, member = _approved(db, settings)
    factories.sign_in(client, w.staff[0].login)
    text = client.get(f"/staff/points/clubs/{w.at.club.id}/hours.csv").content.decode("utf-8-sig")
    header, *rows = [line.split(",") for line in text.strip().splitlines()]
    assert header[2] == "记录单位 organisation" and header[-1] == "审核人 approved by"
    assert len(rows) == 3
    first = rows[0]
    assert first[0] == member.name and first[2] == w.at.club.name and first[5] == "活动室"
    assert first[-2] == "2.00" and first[-1] == w.second[0].display_name


def test_every_export_is_also_an_excel_workbook(db, settings, client):
    import io

    from openpyxl import load_workbook

    w, member = _approved(db, settings)
    factories.sign_in(client, w.staff[0].login)
    club = f"/staff/points/clubs/{w.at.club.id}"
    page = client.get(club).text
    for name in ("members", "ledger", "hours", "activities", "stock"):
        assert f'href="{club}/{name}.xlsx"' in page, name
        csv_rows = client.get(f"{club}/{name}.csv").content.decode("utf-8-sig").strip().splitlines()
        got = client.get(f"{club}/{name}.xlsx")
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert got.headers["content-disposition"].endswith(f'-{w.at.club.id}.xlsx"'), got.headers
        sheet = load_workbook(io.BytesIO(got.content)).active
        assert sheet.max_row == len(csv_rows), name
        assert sheet.cell(1, 1).font.bold
    hours = load_workbook(io.BytesIO(client.get(f"{club}/hours.xlsx").content)).active
    assert hours.cell(2, 1).value == member.name and hours.cell(2, 10).value == w.second[0].display_name
    factories.sign_in(client, w.residents[0][0].login)
    assert client.get(f"{club}/ledger.xlsx").status_code == 403
    own = client.get(f"/points/members/{member.id}/hours.xlsx")
    assert own.status_code == 200 and load_workbook(io.BytesIO(own.content)).active.max_row == 4


def test_an_excel_cell_never_runs_as_a_formula(db, settings, client):
    import io

    from openpyxl import load_workbook

    from consult.web.downloads import xlsx_bytes

    sheet = load_workbook(io.BytesIO(xlsx_bytes([["name", "amount"], ["=HYPERLINK(1)", -3]]))).active
    assert sheet.cell(2, 1).value == "'=HYPERLINK(1)" and sheet.cell(2, 2).value == -3


def test_the_audit_page_lists_every_approval_and_correction(db, settings, client):
    from consult.points.services import ledger

    w, member = _approved(db, settings)
    ledger.propose_correction(db, w.staff[1], w.at, member_id=member.id, amount="-1", reason="多记了一次",
                              now=clock.utcnow())
    db.commit()
    factories.sign_in(client, w.staff[0].login)
    club = f"/staff/points/clubs/{w.at.club.id}"
    assert f'href="{club}/audit"' in client.get(club).text
    page = client.get(f"{club}/audit")
    assert page.status_code == 200
    actions = [entry.action for entry, _ in page.context["rows"]]
    assert actions == ["points_correction_proposed"] + ["points_attendance_approved"] * 3
    assert "多记了一次" in page.text and w.second[0].display_name in page.text
    factories.sign_in(client, w.residents[0][0].login)
    assert client.get(f"{club}/audit").status_code == 403
