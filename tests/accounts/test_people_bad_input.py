"""Issue 17's "Bad input" for people helped by others: a family member acting after the
link ended, a staff help session left open past 30 minutes, a managed resident given a
number that already belongs to an account. Each is refused with a message and changes
nothing."""

from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.accounts.models import ActingLog, ActingSession, FamilyLink, PasswordReset, User
from consult.audit.models import AuditEntry
from tests import factories
from tests.accounts.test_acting import _add_managed, _start
from tests.accounts.test_family import _active_link, _as, fam  # noqa: F401 (fixture)
from tests.conftest import csrf_from, post_form


def test_a_proxy_cannot_start_acting_after_the_link_ended(client, db, fam):  # noqa: F811
    link = _active_link(client, db, fam)
    _as(client, fam["mother"])
    assert post_form(client, "/account/family", f"/account/family/{link.id}/end", {}).status_code == 303
    _as(client, fam["son"])
    token = csrf_from(client.get("/account/family").text)
    late = client.post(f"/account/family/{link.id}/act", data={"csrf_token": token},
                       follow_redirects=False)
    assert late.status_code in (403, 404, 409)
    assert db.exec(select(ActingSession)).all() == []
    assert client.get("/account").context["acting"] is None


def test_a_link_ended_by_any_means_stops_the_proxy_mid_session(client, db, fam):  # noqa: F811
    """Even with the session row still running (the link ended without it, e.g. at the
    desk), the next form the proxy sends is refused, nothing is saved, nothing logged."""
    link = _active_link(client, db, fam)
    _as(client, fam["son"])
    post_form(client, "/account/family", f"/account/family/{link.id}/act", {})
    token = csrf_from(client.get("/account").text)
    row = db.get(FamilyLink, link.id)
    row.status, row.ended_at = "ended", clock.utcnow()
    db.add(row)
    db.flush()
    late = client.post("/prefs/elder", data={"csrf_token": token, "elder": "1", "next": "/"},
                       follow_redirects=False)
    assert late.status_code == 409 and "亲情关联已解除" in late.text
    db.expire_all()
    assert not db.get(User, fam["mother"].id).elder_mode and not db.get(User, fam["son"].id).elder_mode
    assert db.exec(select(ActingLog)).all() == []
    assert db.exec(select(ActingSession)).one().ended_how == "link"


def test_a_staff_session_left_open_past_30_minutes_ends_on_the_next_page(client, db, desk):
    """Not only a form: the next page the helper opens after 30 minutes shows them as
    themselves again, says why, and the session is ended as timed out."""
    moderator, resident = desk["moderator"], desk["resident"]
    factories.sign_in(client, moderator.login)
    assert _start(client, resident).status_code == 303
    row = db.exec(select(ActingSession)).one()
    row.expires_at = clock.utcnow() - timedelta(minutes=1)
    db.add(row)
    db.flush()
    page = client.get("/account")
    assert page.status_code == 200 and page.context["acting"] is None
    assert page.context["user"].id == moderator.id and "30 分钟" in page.text
    db.expire_all()
    assert db.get(ActingSession, row.id).ended_how == "timeout"
    assert db.exec(select(ActingLog)).all() == []


def test_a_managed_resident_given_a_number_already_used_changes_nothing(client, db, desk):
    factories.sign_in(client, desk["moderator"].login)
    person_url = _add_managed(client, desk["tree"]["area_a"]).headers["location"]
    person = db.exec(select(User).where(User.display_name == "赵老伯")).one()
    login_before = person.login
    for number in (desk["resident"].login, f"+86 {desk['resident'].login}"):
        taken = post_form(client, person_url, f"{person_url}/login", {"phone": number})
        assert taken.status_code == 422 and "另一个账户" in taken.text
    db.expire_all()
    again = db.get(User, person.id)
    assert (again.login, again.phone, again.password_hash) == (login_before, None, None)
    assert db.exec(select(PasswordReset)).all() == []
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "managed_resident_login")).all() == []


def test_the_persons_page_says_what_a_family_member_did_never_the_answers(client, db, fam):  # noqa: F811
    """Issue 17 item 4: every proxy action is marked 由家属代办 on the person's own page,
    in words (an idea supported, a survey answered), never what was answered."""
    link = _active_link(client, db, fam)
    _as(client, fam["son"])
    post_form(client, "/account/family", f"/account/family/{link.id}/act", {})
    row = db.exec(select(ActingSession)).one()
    from consult.accounts import acting

    for action, path in (("idea_support", "/ideas/3/support"), ("survey_answer", "/surveys/9")):
        acting.log_action(db, row, action=action, path=path, now=clock.utcnow())
    db.flush()
    _as(client, fam["mother"])
    page = client.get("/account/helped").text
    assert page.count("由家属代办") >= 2
    assert "支持了一条建议" in page and "回答了一份问卷或表格" in page
    assert "/surveys/9" not in page
