import pytest

from tests.delivery.builders import world


@pytest.fixture
def w(db, settings):
    return world(db, settings)
