"""Builders for test data, so each test says only what matters to it."""

from __future__ import annotations

import itertools

from consult.accounts import services as accounts
from consult.communities import services as places

_phones = itertools.count(13900000000)
PASSWORD = "correct horse battery"


def user(db, settings, *, name="测试居民", password=PASSWORD, login=None):
    phone = login or str(next(_phones))
    return accounts.create_user(db, settings, login=phone, phone=phone, display_name=name,
                                password=password)


def place_tree(db):
    """A sub-district with two areas, each with an estate and a building group."""
    root = places.create_place(db, kind="subdistrict", name="测试街道")
    tree = {"root": root}
    for key, name in (("a", "恒丰"), ("b", "郑家巷")):
        area = places.create_place(db, kind="area", name=name, parent=root)
        estate = places.create_place(db, kind="estate", name=f"{name}小区", parent=area)
        group = places.create_place(db, kind="building_group", name=f"{name}1号楼组", parent=estate)
        tree[f"area_{key}"], tree[f"estate_{key}"], tree[f"group_{key}"] = area, estate, group
    db.flush()
    return tree


def sign_in(client, login: str, password: str = PASSWORD):
    from tests.conftest import post_form

    response = post_form(client, "/login", "/login", {"login": login, "password": password})
    assert response.status_code == 303, response.text
    return response
