"""The cache facility, and the public cache: the home page's places are reused for a few
seconds, then recomputed."""

from consult.cache import Cache
from consult.communities import services
from tests import factories


def test_ttl_cache_expires():
    now = [100.0]
    cache = Cache(100, 30, clock=lambda: now[0])
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.get_or_compute("k", compute) == 1
    now[0] += 29.9
    assert cache.get_or_compute("k", compute) == 1
    now[0] += 0.2
    assert cache.get_or_compute("k", compute) == 2


def test_zero_seconds_means_no_cache():
    cache = Cache(100, 0)
    values = iter(range(10))
    assert cache.get_or_compute("k", lambda: next(values)) == 0
    assert cache.get_or_compute("k", lambda: next(values)) == 1


def test_without_seconds_values_stay_until_crowded_out():
    now = [0.0]
    cache = Cache(2, clock=lambda: now[0])
    cache.put("a", 1)
    now[0] += 10**9
    assert cache.get("a") == 1
    cache.put("b", 2)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3)


def test_home_page_uses_the_cache(client, db, app):
    tree = factories.place_tree(db)
    assert [a.name for a in client.get("/").context["areas"]] == ["恒丰", "郑家巷"]
    services.create_place(db, kind="area", name="东王", parent=tree["root"])
    db.flush()
    assert [a.name for a in client.get("/").context["areas"]] == ["恒丰", "郑家巷"]
    app.state.public_cache.clear()
    assert [a.name for a in client.get("/").context["areas"]] == ["恒丰", "郑家巷", "东王"]


def test_home_page_body_is_kept_with_its_overview_per_language_and_sign_in(client, db, app, settings):
    tree = factories.place_tree(db)
    assert "恒丰" in client.get("/").text and "参与" in client.get("/").text
    services.create_place(db, kind="area", name="东王", parent=tree["root"])
    db.flush()
    assert "东王" not in client.get("/").text  # the kept body, like the kept overview
    client.cookies.set("lang", "en")
    english = client.get("/").text
    assert "Take part" in english and "东王" not in english and 'href="/register"' in english
    person = factories.user(db, settings)
    db.flush()
    factories.sign_in(client, person.login)
    assert 'class="button primary" href="/register"' not in client.get("/").text
    app.state.public_cache.clear()
    assert "东王" in client.get("/").text

