"""Pure account rules: phone numbers, passwords, throttling."""

from datetime import UTC, datetime, timedelta

import pytest

from consult.accounts import rules


@pytest.mark.parametrize("raw, expected", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("008613812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("19912345678", "19912345678"),
    ("１３８１２３４５６７８", "13812345678"),  # full width: the same number, after NFKC
    ("＋８６ １３８－１２３４－５６７８", "13812345678"),
])
def test_valid_mainland_mobiles(raw, expected):
    assert rules.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "1381234567", "138123456789", "12812345678", "23812345678", "abcdefghijk",
    "021-62345678", "+1 415 555 0100",
    "١٣٨١٢٣٤٥٦٧٨", "۱۳۸۱۲۳۴۵۶۷۸", "138١٢٣٤٥٦٧٨", "१३८१२३४५६७८", "138\u200b12345678",
])
def test_invalid_mobiles(raw):
    assert rules.normalize_phone(raw) is None


@pytest.mark.parametrize("password", ["short", "1234567"])
def test_short_passwords_refused(password):
    assert "at least" in rules.password_problem(password).text


@pytest.mark.parametrize("password", ["12345678", "Password", "woaini1314", "aaaaaaaa", "abababab", "qwertyuiop"])
def test_common_passwords_refused(password):
    assert "too common" in rules.password_problem(password).text


def test_password_equal_to_login_refused():
    assert rules.password_problem("13812345678", login="13812345678") is not None


def test_good_password_accepted():
    assert rules.password_problem("梧桐树下的那张长椅 2019") is None
    assert rules.password_problem("correct horse battery") is None


NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_lock_after_limit_failures():
    state = None
    for _ in range(4):
        state = rules.after_failure(state, NOW, limit=5, window=WINDOW)
        assert not rules.is_locked(state, NOW)
    state = rules.after_failure(state, NOW, limit=5, window=WINDOW)
    assert state.failures == 5
    assert rules.is_locked(state, NOW)
    assert rules.is_locked(state, NOW + WINDOW - timedelta(seconds=1))
    assert not rules.is_locked(state, NOW + WINDOW)


def test_failures_outside_window_start_over():
    state = None
    for _ in range(4):
        state = rules.after_failure(state, NOW, limit=5, window=WINDOW)
    later = NOW + WINDOW + timedelta(seconds=1)
    state = rules.after_failure(state, later, limit=5, window=WINDOW)
    assert state.failures == 1
    assert not rules.is_locked(state, later)


@pytest.mark.parametrize("name", [
    "\u200b\u200b", "\u3164", "\u2800\u2800", "\u200d", " \u00a0 ", "\u0301\u0301",
    "刘\u202e阿姨", "\u2066王\u2069", "\u200f张三", "张\n三", "张\r三", "张\t三", "张\u2028三",
    "a\x1b[31m", "名" * 41,
])
def test_names_refused(name):
    assert rules.person_name_problem(name) is not None
    assert rules.display_name_problem(name) is not None


@pytest.mark.parametrize("name", ["刘阿姨", "Zhang San", "王 小明", "José", "👩\u200d👩\u200d👧 一家", "名" * 40])
def test_names_accepted(name):
    assert rules.person_name_problem(name) is None


def test_the_common_list_holds_the_top_ten_thousand_and_more():
    """The shipped list (Django's, see COMMON_PASSWORDS.md) plus the project's own."""
    import gzip
    from pathlib import Path

    common = rules.common_passwords()
    assert len(common) >= 19_000
    shipped = Path(rules.__file__).with_name("common_passwords_20k.txt.gz")
    with gzip.open(shipped, "rt", encoding="utf-8") as fh:
        top = [line.strip() for line in fh.read().splitlines()[:10_000]]
    long_enough = [p for p in top if len(p) >= rules.MIN_PASSWORD]
    assert len(long_enough) > 2000
    assert all(rules.password_problem(p) is not None for p in long_enough)
    for password in ("iloveyou", "sunshine", "princess1", "Football", "woaini1314"):
        assert "too common" in rules.password_problem(password).text


@pytest.mark.parametrize("password", [
    "13812345678", "+8613812345678", "008613812345678", "87654321831", "x13812345678!",
    "13812345678abcd", "wo13812345678ai", "iloveyou12345678", "abc12345678", "87654321abc",
    "１３８１２３４５６７８",
])
def test_the_persons_own_number_and_its_variants_are_refused(password):
    problem = rules.password_problem(password, phone="13812345678")
    assert problem is not None and "mobile number" in problem.text
    assert rules.password_problem(password, login="13812345678") is not None  # login is the number


def test_passwords_that_merely_hold_digits_are_accepted():
    for password in ("my-own-garden-12345678-long", "梧桐树下的那张长椅 2019", "13912345678 is not mine"):
        assert rules.password_problem(password, phone="13812345678") is None
