"""No address can crash the app with a number too large for the database.

Walks every GET route of the pages and of the JSON API, signed in as an administrator
of the sub-district (so no route stops at a permission check first), with every whole
number in the path set to one no database integer holds, and to the largest a path
accepts: each must answer without a 500 (a 404 normally).
"""

from starlette.convertors import IntegerConvertor
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from consult.communities import services as places
from tests import factories

HUGE = 10**30
LARGEST_IN_PATH = 10**9 - 1  # the longest number a path accepts (9 digits)


def _get_routes(routes, prefix=""):
    for route in routes:
        if isinstance(route, Mount) and route.name == "api":
            yield from _get_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route) and "GET" in route.methods and route.param_convertors:
            yield prefix, route


def _path(prefix: str, route: Route, number: int) -> str | None:
    if not all(isinstance(c, IntegerConvertor) for c in route.param_convertors.values()):
        return None
    return prefix + route.url_path_for(route.name, **{name: number for name in route.param_convertors})


def test_every_get_route_answers_a_huge_id_without_a_server_error(db, settings, app):
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    tree = factories.place_tree(db)
    admin = factories.user(db, settings, name="管理员")
    places.grant_role(db, user=admin, role="admin", place=tree["root"])
    db.flush()
    factories.sign_in(client, admin.login)
    token = client.post("/api/v1/auth/token", json={"login": admin.login, "password": factories.PASSWORD})
    assert token.status_code == 201
    bearer = {"authorization": f"Bearer {token.json()['token']}"}
    checked, failures = 0, []
    for prefix, route in _get_routes(app.routes):
        for number in (HUGE, LARGEST_IN_PATH):
            path = _path(prefix, route, number)
            if path is None:
                continue
            response = client.get(path, headers=bearer if prefix else {}, follow_redirects=False)
            if response.status_code >= 500:
                failures.append(path)
            checked += 1
    assert failures == []
    assert checked >= 40
