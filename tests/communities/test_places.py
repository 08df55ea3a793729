"""Place pages and rules: the tree, homes with exact floor areas."""

import pytest

from consult.communities import rules, services
from consult.errors import FieldErrors
from tests import factories


def test_paths_follow_the_tree(db):
    tree = factories.place_tree(db)
    group = tree["group_a"]
    assert group.ids_from_root == (tree["root"].id, tree["area_a"].id, tree["estate_a"].id, group.id)


@pytest.mark.parametrize("parent, kind, ok", [
    (None, "subdistrict", True), (None, "area", False), ("subdistrict", "area", True),
    ("subdistrict", "estate", False), ("area", "estate", True), ("estate", "building_group", True),
    ("building_group", "estate", False), ("area", "castle", False),
])
def test_child_kind_rule(parent, kind, ok):
    assert (rules.child_kind_problem(parent, kind) is None) == ok


def test_create_place_refuses_wrong_kind(db):
    tree = factories.place_tree(db)
    with pytest.raises(FieldErrors):
        services.create_place(db, kind="estate", name="x", parent=tree["root"])


def test_area_is_exact_decimal(db):
    tree = factories.place_tree(db)
    for code, hundredths in (("1-101", 8663), ("1-102", 1), ("1-103", 12000)):
        services.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code=code,
                          building="1号楼", room=code[2:], area_hundredths=hundredths, owners=["王"])
    db.flush()
    assert services.area_total_hundredths(db, tree["group_a"]) == 20664
    assert rules.format_area(20664) == "206.64"
    assert rules.format_area(1) == "0.01"


def test_home_and_place_pages(client, db):
    tree = factories.place_tree(db)
    services.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code="1-101",
                      building="1号楼", room="101", area_hundredths=8663, owners=["王", "李"])
    db.flush()
    home = client.get("/")
    assert home.status_code == 200
    assert [a.name for a in home.context["areas"]] == ["恒丰", "郑家巷"]
    page = client.get(f"/places/{tree['group_a'].id}")
    assert "86.63" in page.text and page.context["area_total"] == 8663
    assert [p.name for p in page.context["ancestors"]] == ["测试街道", "恒丰", "恒丰小区"]
    assert client.get("/places/999999").status_code == 404


def test_subtree_counts(db):
    tree = factories.place_tree(db)
    services.add_home(db, estate=tree["estate_a"], building_group=tree["group_a"], code="1",
                      building="1", room="1", area_hundredths=100, owners=["王"])
    db.flush()
    assert services.subtree_counts(db, tree["root"]) == {"area": 2, "estate": 2, "building_group": 2, "home": 1}
    assert services.subtree_counts(db, tree["area_b"])["home"] == 0
