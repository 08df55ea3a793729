"""Accounts tests start on the outbox backend and leave it so; ``desk`` is a place tree
with a moderator of 恒丰 (area_a), one of 郑家巷 (area_b) and a resident of 恒丰."""

import pytest

from consult.communities import services as places
from consult.messaging import services as sms
from consult.messaging.backends import SmsConfig
from tests import factories


@pytest.fixture(autouse=True)
def outbox():
    previous = sms.use(SmsConfig())
    yield
    sms.use(previous)


@pytest.fixture
def desk(db, settings):
    tree = factories.place_tree(db)
    resident = factories.user(db, settings, name="王阿婆")
    places.grant_role(db, user=resident, role="resident", place=tree["area_a"])
    moderator = factories.user(db, settings, name="李主任")
    places.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    outsider = factories.user(db, settings, name="外区主任")
    places.grant_role(db, user=outsider, role="moderator", place=tree["area_b"])
    db.flush()
    return {"tree": tree, "resident": resident, "moderator": moderator, "outsider": outsider}
