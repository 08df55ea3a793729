"""``python -m consult points-check``: the ledger whole, and a tampered cache found."""

import pytest
from sqlalchemy import text

from consult.db import make_engine
from tests.test_cli import cli_env, run  # noqa: F401  (the fixture)


@pytest.mark.slow
def test_points_check_finds_a_cache_that_disagrees(cli_env):  # noqa: F811
    url, env = cli_env
    assert run(env, "migrate").returncode == 0
    whole = run(env, "points-check")
    assert whole.returncode == 0 and "whole" in whole.stderr
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO place (id, kind, name, parent_id, path, position) "
                          "VALUES (1, 'area', '东王', NULL, '/1/', 0)"))
        conn.execute(text("INSERT INTO points_club (id, place_id, name, rules_text, created_at) "
                          "VALUES (1, 1, 'c', '', '2026-12-01 00:00:00')"))
        conn.execute(text("INSERT INTO points_member (id, club_id, name, card_code, joined_at, ranking_opt_in) "
                          "VALUES (1, 1, '某人', 'ABC234', '2026-12-01 00:00:00', 0)"))
        conn.execute(text("INSERT INTO points_account (id, club_id, kind, member_id, balance) "
                          "VALUES (1, 1, 'member', 1, 5)"))
    engine.dispose()
    found = run(env, "points-check")
    assert found.returncode == 1 and "cache 1: cached 5, entries 0" in found.stdout
