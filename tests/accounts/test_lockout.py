"""Throttling that an attacker cannot turn against the person: wrong passwords lock one
account from one address; the account from everywhere and an address only slow down
(waits that double), and not on a device the person signed in on before; the page says
how long; an administrator can lift it, and that is audited."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from consult.accounts import rules, services
from consult.accounts.models import LoginThrottle
from consult.audit.models import AuditEntry
from consult.communities import services as places
from tests import factories
from tests.conftest import post_form

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _from(app, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 40000))


def _try(client, login, password):
    return post_form(client, "/login", "/login", {"login": login, "password": password})


def test_an_attacker_elsewhere_cannot_lock_the_person_out(app, db, settings):
    user = factories.user(db, settings)
    with _from(app, "203.0.113.9") as attacker, _from(app, "198.51.100.7") as person:
        for _ in range(8):
            assert _try(attacker, user.login, "wrong-pass").status_code in (400, 429)
        assert _try(attacker, user.login, factories.PASSWORD).status_code == 429  # that pair is locked
        assert _try(person, user.login, factories.PASSWORD).status_code == 303  # the person is not


def test_the_account_everywhere_slows_down_but_a_known_device_gets_in(app, db, settings):
    user = factories.user(db, settings)
    with _from(app, "198.51.100.7") as phone:
        factories.sign_in(phone, user.login)  # the person's own phone, known from now on
        post_form(phone, "/account", "/logout", {})
        for n in range(settings.login_failures_account_everywhere):
            with _from(app, f"203.0.113.{n + 1}") as bot:
                assert _try(bot, user.login, "wrong-pass").status_code == 400
        with _from(app, "192.0.2.50") as new_laptop:
            refused = _try(new_laptop, user.login, factories.PASSWORD)
            assert refused.status_code == 429
            assert "1 分钟后再试" in refused.text and "以前登录过的设备" in refused.text
        assert _try(phone, user.login, factories.PASSWORD).status_code == 303  # known device
    db.expire_all()
    assert db.get(LoginThrottle, f"account:{user.login}") is None  # the success resets it


def test_a_busy_address_does_not_hold_back_a_known_device(app, db, settings, client):
    """Thirty wrong passwords from a shared address (a housing estate's one connection)
    slow down new sign-ins from there, not residents on their own phones."""
    app.state.settings = settings.__class__(**{**settings.__dict__, "login_failures_per_address": 3})
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    post_form(client, "/account", "/logout", {})
    for i in range(3):
        _try(client, f"1370000{i:04d}", "wrong-pass")
    assert _try(client, user.login, factories.PASSWORD).status_code == 303
    with TestClient(app) as stranger:  # same address, no known-device cookie
        assert _try(stranger, user.login, factories.PASSWORD).status_code == 429


def test_a_forged_device_cookie_counts_for_nothing(app, db, settings):
    user = factories.user(db, settings)
    with TestClient(app) as c:
        for _ in range(5):
            _try(c, user.login, "wrong-pass")
        c.cookies.set("consult_device", "eyJkIjoieCIsImEiOlsxXX0.forged")
        assert _try(c, user.login, factories.PASSWORD).status_code == 429


def test_waits_double_up_to_the_cap_and_end():
    state = None
    cap, forget = timedelta(hours=1), timedelta(days=1)
    waits = []
    for _ in range(12):
        state = rules.after_failure_slowing(state, NOW, limit=3, cap=cap, forget=forget)
        waits.append(rules.time_left(state, NOW))
    assert waits[:2] == [None, None]
    assert waits[2:6] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[-1] == cap
    assert rules.time_left(state, NOW + cap) is None  # a wait, never a lasting lock
    assert rules.minutes_left(timedelta(seconds=61)) == 2 and rules.minutes_left(timedelta(0)) == 1


def test_an_admin_lifts_a_lock_and_it_is_audited(app, db, settings):
    tree = factories.place_tree(db)
    admin = factories.user(db, settings, name="管理员")
    places.grant_role(db, user=admin, role="admin", place=tree["root"])
    moderator = factories.user(db, settings, name="版主")
    places.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    user = factories.user(db, settings)
    db.flush()
    with TestClient(app) as c:
        for _ in range(5):
            _try(c, user.login, "wrong-pass")
        assert _try(c, user.login, factories.PASSWORD).status_code == 429
    with TestClient(app) as mod:
        factories.sign_in(mod, moderator.login)
        assert mod.get("/staff/lockouts").status_code == 403
        token = mod.get("/account").text
        from tests.conftest import csrf_from

        refused = mod.post("/staff/lockouts/lift", data={"csrf_token": csrf_from(token),
                                                         "login": user.login}, follow_redirects=False)
        assert refused.status_code == 403
    with TestClient(app) as staff:
        factories.sign_in(staff, admin.login)
        page = staff.get("/staff/lockouts")
        assert page.status_code == 200 and user.login in page.text and "还需 15 分钟" in page.text
        assert "/staff/lockouts" in staff.get("/account").text
        done = post_form(staff, "/staff/lockouts", "/staff/lockouts/lift", {"login": user.login})
        assert done.status_code == 303
        empty = post_form(staff, "/staff/lockouts", "/staff/lockouts/lift", {"login": " "})
        assert empty.status_code == 422
    with TestClient(app) as c:
        assert _try(c, user.login, factories.PASSWORD).status_code == 303
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "lift_login_lockout")).one()
    assert entry.actor_id == admin.id and entry.target_id == user.id


def test_lifting_by_address(db, settings):
    from consult.permissions import Actor

    tree = factories.place_tree(db)
    actor = Actor(user_id=None, roles=frozenset({("admin", tree["root"].id)}))
    for n in range(3):
        db.add(LoginThrottle(key=f"address:192.0.2.{n}", failures=40, window_start=NOW,
                             locked_until=NOW + timedelta(hours=1)))
    db.add(LoginThrottle(key="pair:13900001111|192.0.2.1", failures=5, window_start=NOW,
                         locked_until=NOW + timedelta(hours=1)))
    db.flush()
    assert services.lift_lockout(db, actor, root=places.root_path(db), address="192.0.2.1") == 2
    left = {row.key for row in db.exec(select(LoginThrottle)).all()}
    assert left == {"address:192.0.2.0", "address:192.0.2.2"}
