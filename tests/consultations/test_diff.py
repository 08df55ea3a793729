"""Tests for the between-rounds diff of idea texts."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from consult.consultations.diff import (
    FieldDiff,
    Segment,
    diff_fields,
    diff_text,
    render_html,
    tokenize,
)


def _old(segments: list[Segment]) -> str:
    return "".join(text for op, text in segments if op in ("equal", "delete"))


def _new(segments: list[Segment]) -> str:
    return "".join(text for op, text in segments if op in ("equal", "insert"))


# --- tokenising -----------------------------------------------------------------------


def test_tokenize_chinese_is_per_character() -> None:
    assert tokenize("建一个花园。") == ["建", "一", "个", "花", "园", "。"]


def test_tokenize_latin_words_spaces_and_punctuation_are_separate() -> None:
    assert tokenize("Fix the lift, please!") == "Fix| |the| |lift|,| |please|!".split("|")


def test_tokenize_mixed_text() -> None:
    assert tokenize("安装EV充电桩20个，约5000元") == "安|装|EV|充|电|桩|20|个|，|约|5000|元".split(
        "|"
    )


def test_tokenize_keeps_accented_words_whole() -> None:
    assert tokenize("café crème") == ["café", " ", "crème"]


# --- diffs ----------------------------------------------------------------------------


def test_chinese_change_is_character_level() -> None:
    assert diff_text("在3号楼前建一个花坛", "在3号楼前建两个花坛") == [
        ("equal", "在3号楼前建"),
        ("delete", "一"),
        ("insert", "两"),
        ("equal", "个花坛"),
    ]


def test_english_change_replaces_the_whole_word() -> None:
    segments = diff_text("Plant a green hedge along the path.", "Plant a red hedge along the path.")
    assert segments == [
        ("equal", "Plant a "),
        ("delete", "green"),
        ("insert", "red"),
        ("equal", " hedge along the path."),
    ]


def test_english_word_not_split_even_when_letters_overlap() -> None:
    # "parking" and "marking" share most letters; a reader expects the word swapped.
    segments = diff_text("more parking spaces", "more marking spaces")
    assert ("delete", "parking") in segments
    assert ("insert", "marking") in segments


def test_mixed_text_uses_each_script_granularity() -> None:
    segments = diff_text("增加20个parking位", "增加30个bicycle位")
    assert segments == [
        ("equal", "增加"),
        ("delete", "20"),
        ("insert", "30"),
        ("equal", "个"),
        ("delete", "parking"),
        ("insert", "bicycle"),
        ("equal", "位"),
    ]


def test_spaces_between_changed_words_are_absorbed() -> None:
    assert diff_text("the green door", "a red house") == [
        ("delete", "the green door"),
        ("insert", "a red house"),
    ]


def test_pure_insertion_and_deletion() -> None:
    assert diff_text("修路灯", "修路灯和座椅") == [("equal", "修路灯"), ("insert", "和座椅")]
    assert diff_text("Fix the old lift", "Fix the lift") == [
        ("equal", "Fix the "),
        ("delete", "old "),
        ("equal", "lift"),
    ]


def test_identical_texts_are_one_equal_segment() -> None:
    assert diff_text("同一段文字 same text", "同一段文字 same text") == [
        ("equal", "同一段文字 same text")
    ]


def test_empty_texts() -> None:
    assert diff_text("", "") == []
    assert diff_text("", "新想法") == [("insert", "新想法")]
    assert diff_text("旧想法", "") == [("delete", "旧想法")]


def test_segments_are_named_tuples() -> None:
    (segment,) = diff_text("", "x")
    assert segment.op == "insert" and segment.text == "x"
    op, text = segment
    assert (op, text) == ("insert", "x")


# --- HTML -----------------------------------------------------------------------------


def test_render_html_marks_insertions_and_deletions() -> None:
    html = render_html(diff_text("建一个花园", "建两个花园"))
    assert isinstance(html, Markup)
    assert html == "建<del>一</del><ins>两</ins>个花园"


def test_render_html_escapes_every_segment() -> None:
    html = render_html(
        [
            ("equal", "<b>&"),
            ("delete", "<script>alert(1)</script>"),
            ("insert", '"><img src=x onerror=alert(2)>'),
        ]
    )
    assert "<script>" not in html
    assert "<img" not in html
    assert html == (
        "&lt;b&gt;&amp;"
        "<del>&lt;script&gt;alert(1)&lt;/script&gt;</del>"
        "<ins>&#34;&gt;&lt;img src=x onerror=alert(2)&gt;</ins>"
    )


def test_render_html_escapes_script_in_a_real_diff() -> None:
    html = render_html(diff_text("说明", "说明<script>steal()</script>"))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_render_html_escapes_text_even_if_marked_safe() -> None:
    # Segment text is resident input; a Markup wrapper must not smuggle tags through.
    assert render_html([("insert", Markup("<i>x</i>"))]) == "<ins>&lt;i&gt;x&lt;/i&gt;</ins>"


def test_render_html_rejects_unknown_op() -> None:
    with pytest.raises(ValueError):
        render_html([("replace", "x")])


def test_render_html_empty() -> None:
    assert render_html([]) == ""


# --- several fields -------------------------------------------------------------------


def test_diff_fields() -> None:
    old = {"title": "建一个花园", "description": "Plant a green hedge.", "cost": 1200}
    new = {"title": "建两个花园", "description": "Plant a green hedge.", "cost": Decimal("1500")}
    title, description, cost, place = diff_fields(
        old, new, ["title", "description", "cost", "place"]
    )

    assert isinstance(title, FieldDiff)
    assert (title.field, title.changed) == ("title", True)
    assert title.html == "建<del>一</del><ins>两</ins>个花园"

    assert description.changed is False
    assert description.segments == (("equal", "Plant a green hedge."),)

    assert cost.changed is True
    assert (cost.old, cost.new) == ("1200", "1500")
    assert cost.segments == (("delete", "1200"), ("insert", "1500"))

    # Missing on both sides: unchanged and empty.
    assert (place.changed, place.old, place.new, place.segments) == (False, "", "", ())


def test_diff_fields_none_counts_as_empty() -> None:
    (cost,) = diff_fields({"cost": None}, {"cost": 300}, ["cost"])
    assert cost.changed is True
    assert cost.segments == (("insert", "300"),)
    (same,) = diff_fields({"cost": None}, {}, ["cost"])
    assert same.changed is False


# --- properties -----------------------------------------------------------------------

# Text mixing Chinese, Latin, digits, whitespace and punctuation, drawn from a small
# alphabet so that the two versions share material and produce interesting diffs.
_ALPHABET = st.sampled_from(
    list("一两个花园建修路灯的，。 \n\tabcAB12-<>&'\"") + ["green", "red", "😀", "é"]
)
_texts = st.lists(_ALPHABET, max_size=40).map("".join)


@settings(max_examples=300)
@given(old=_texts, new=_texts)
def test_segments_rebuild_both_versions(old: str, new: str) -> None:
    segments = diff_text(old, new)
    assert _old(segments) == old
    assert _new(segments) == new
    assert all(op in ("equal", "insert", "delete") for op, _ in segments)
    assert all(text for _, text in segments)
    # Neighbours never share an op.
    assert all(a.op != b.op for a, b in zip(segments, segments[1:], strict=False))


@given(text=st.text(max_size=60))
def test_tokens_join_back_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


@given(old=st.text(max_size=40), new=st.text(max_size=40))
def test_rebuild_holds_for_arbitrary_unicode(old: str, new: str) -> None:
    segments = diff_text(old, new)
    assert (_old(segments), _new(segments)) == (old, new)
    if old == new:
        assert all(op == "equal" for op, _ in segments)
