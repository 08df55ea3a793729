"""Each test starts with an empty results cache (ids are reused when tests roll back)."""

import pytest

from consult.surveys.services import clear_results_cache


@pytest.fixture(autouse=True)
def _empty_results_cache():
    clear_results_cache()
    yield
    clear_results_cache()
