"""The pure rules: templates, masking, 退订 replies, quiet hours and rate windows."""

from datetime import UTC, datetime, timedelta

import pytest

from consult.clock import BEIJING
from consult.messaging import rules
from tests.messaging.conftest import DAYTIME, MORNING, NIGHT


def bj(hour, minute=0, day=2):
    """A Beijing wall time on 2 (or ``day``) December 2026, as aware UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def test_code_template_renders_in_chinese_with_the_sign_name_and_no_unsubscribe_line():
    tpl = rules.template("verification_code", "code")
    text = rules.render(tpl, rules.check_params(tpl, {"code": "123456", "minutes": 10}), "社区征询")
    assert text.startswith("【社区征询】您的验证码为123456，10分钟内有效")
    assert rules.UNSUBSCRIBE_HINT not in text


def test_notice_ends_with_the_unsubscribe_line():
    tpl = rules.template("vote_opened", "notice")
    text = rules.render(tpl, rules.check_params(tpl, {"title": "加装电梯", "closes": "12月9日"}), "某街道")
    assert text == "【某街道】投票已开始：加装电梯，截止12月9日。请登录社区征询参与，或到居委会填写纸质选票。回复TD退订"


def test_every_template_declares_exactly_the_variables_its_text_uses():
    import string

    for tpl in rules.TEMPLATES.values():
        used = [name for _, name, _, _ in string.Formatter().parse(tpl.text) if name]
        assert sorted(used) == sorted(tpl.params), tpl.name
        assert tpl.kind in rules.KINDS and set(tpl.secret) <= set(tpl.params)


def test_kind_must_match_the_template():
    with pytest.raises(ValueError):
        rules.template("vote_opened", "code")  # a notice posing as a code would skip quiet hours
    with pytest.raises(KeyError):
        rules.template("no_such_message", "notice")


def test_params_must_be_exactly_the_templates():
    tpl = rules.template("verification_code", "code")
    with pytest.raises(ValueError):
        rules.check_params(tpl, {"code": "1"})
    with pytest.raises(ValueError):
        rules.check_params(tpl, {"code": "1", "minutes": 10, "extra": "x"})


def test_long_params_are_cut_and_whitespace_collapsed():
    tpl = rules.template("digest", "notice")
    values = rules.check_params(tpl, {"count": 3, "summary": "一\n二  " + "长" * 80})
    assert values["count"] == "3"
    assert len(values["summary"]) == rules.MAX_PARAM and values["summary"].endswith("…")
    assert values["summary"].startswith("一 二 长")


def test_the_code_is_redacted_for_the_log():
    tpl = rules.template("verification_code", "code")
    assert rules.redacted(tpl, {"code": "123456", "minutes": "10"}) == {"code": "******", "minutes": "10"}


@pytest.mark.parametrize("phone, shown", [
    ("13812345678", "138****5678"), ("", ""), (None, ""), ("12345", "*2345"),
])
def test_mask(phone, shown):
    assert rules.mask(phone) == shown


def test_scrub_masks_every_number_in_provider_text():
    text = "号码13812345678触发流控 +8613912345678; 8613700001111"
    scrubbed = rules.scrub(text)
    assert "13812345678" not in scrubbed and "13912345678" not in scrubbed and "13700001111" not in scrubbed
    assert "138****5678" in scrubbed and "139****5678" in scrubbed
    assert len(rules.scrub("x" * 500)) == 200


@pytest.mark.parametrize("reply, stops", [
    ("TD", True), ("td", True), (" T D ", True), ("退订", True), ("退订。", True), ("N", True),
    ("R", True), ("好的", False), ("TDX", False), ("", False), ("谢谢，不要退订", False),
])
def test_unsubscribe_replies(reply, stops):
    assert rules.is_unsubscribe(reply) is stops


@pytest.mark.parametrize("hour, minute, quiet", [
    (7, 59, True), (8, 0, False), (12, 0, False), (20, 59, False), (21, 0, True), (23, 30, True),
    (0, 0, True), (3, 0, True),
])
def test_quiet_hours_are_21_to_8_beijing_time(hour, minute, quiet):
    assert rules.in_quiet_hours(bj(hour, minute)) is quiet


def test_quiet_hours_end_at_the_next_8_oclock():
    assert rules.quiet_hours_end(NIGHT) == MORNING  # 22:30 → 08:00 the next day
    assert rules.quiet_hours_end(bj(3, 0, day=3)) == MORNING  # 03:00 → 08:00 the same day
    assert rules.quiet_hours_end(bj(7, 59, day=3)) == MORNING
    assert rules.quiet_hours_end(NIGHT).tzinfo == UTC


def test_stale_after_a_day_past_due():
    assert not rules.stale(MORNING, MORNING + timedelta(hours=23))
    assert rules.stale(MORNING, MORNING + timedelta(hours=25))


def test_code_windows_per_number():
    limits = rules.Limits()
    windows = limits.windows("code")
    assert rules.over_limit(windows, [], DAYTIME) is None
    assert rules.over_limit(windows, [DAYTIME - timedelta(seconds=30)], DAYTIME) == rules.MINUTE
    assert rules.over_limit(windows, [DAYTIME - timedelta(seconds=61)], DAYTIME) is None
    five = [DAYTIME - timedelta(minutes=10 * i + 2) for i in range(5)]
    assert rules.over_limit(windows, five, DAYTIME) == rules.HOUR
    ten = [DAYTIME - timedelta(hours=2 * i + 1, minutes=5) for i in range(10)]
    assert rules.over_limit(windows, ten, DAYTIME) == rules.DAY
    assert rules.over_limit(windows, ten[:9], DAYTIME) is None


def test_windows_per_address_and_for_notices():
    limits = rules.Limits(codes_per_address_hour=2, codes_per_address_day=3, notices_per_day=1)
    per_address = limits.windows("code", per_address=True)
    assert rules.over_limit(per_address, [DAYTIME - timedelta(minutes=5)] * 2, DAYTIME) == rules.HOUR
    assert rules.over_limit(per_address, [DAYTIME - timedelta(hours=3)] * 3, DAYTIME) == rules.DAY
    assert limits.windows("notice", per_address=True) == ()
    assert rules.over_limit(limits.windows("notice"), [DAYTIME - timedelta(hours=23)], DAYTIME) == rules.DAY


def test_every_reason_and_status_has_a_label():
    assert set(rules.STATUS_LABELS) == set(rules.STATUSES)
    assert {"unsubscribed", "rate_number", "rate_address", "expired", "not_configured",
            "unavailable"} <= set(rules.REASONS)
