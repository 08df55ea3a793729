"""Issue 16 item 16: one glossary fixes the terms (consult/i18n/GLOSSARY.md), and the
Chinese catalogue keeps to it: an owners' vote is a 表决 with 表决票, a residents' vote is
a 投票 with 选票; Chinese text has full-width colons; a round is not a 题型."""

from __future__ import annotations

import re
from pathlib import Path

from consult.i18n import translator

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "consult" / "i18n" / "zh_Hans"
GLOSSARY = ROOT / "consult" / "i18n" / "GLOSSARY.md"
_MSGSTR = re.compile(r'^msgstr "(.*)"$', re.M)


def _msgstrs(domain: str) -> list[str]:
    return _MSGSTR.findall((CATALOGUES / f"{domain}.po").read_text(encoding="utf-8"))


def _forbidden() -> list[tuple[str, str]]:
    """(catalogue, word) pairs from the glossary table's last column."""
    pairs = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rule = re.fullmatch(r"([a-z]+): (.+)", cells[-1]) if len(cells) == 4 else None
        if rule:
            pairs += [(rule.group(1), w.strip()) for w in rule.group(2).split(",")]
    return pairs


def test_the_glossary_names_the_terms_it_fixes():
    pairs = _forbidden()
    assert ("owners", "投票") in pairs and ("voting", "表决") in pairs and ("owners", "选票") in pairs


#: the owners' vote named by its own term, which any catalogue may do (see the glossary)
OWNERS_VOTE = "业主表决"


def test_each_catalogue_keeps_to_the_glossary():
    wrong = [(domain, word, text) for domain, word in _forbidden()
             for text in _msgstrs(domain) if word in text.replace(OWNERS_VOTE, "")]
    assert wrong == []


def test_naming_the_owners_vote_is_not_a_residents_vote_called_a_biaojue():
    assert "表决" not in "业主表决不能由家属代投".replace(OWNERS_VOTE, "")
    assert "表决" in "请参加本轮表决".replace(OWNERS_VOTE, "")


def test_chinese_text_has_full_width_colons():
    ascii_colon = re.compile(r"[\u4e00-\u9fff）”》]\s*:(?!\d)|(?<!\d):\s*[\u4e00-\u9fff（“《]")
    wrong = [(p.name, text) for p in sorted(CATALOGUES.glob("*.po"))
             for text in _MSGSTR.findall(p.read_text(encoding="utf-8")) if ascii_colon.search(text)]
    assert wrong == []


def test_templates_put_no_ascii_colon_after_a_translated_string():
    templates = ROOT / "templates"
    wrong = [str(p.relative_to(templates)) for p in sorted(templates.rglob("*.html"))
             if re.search(r"\) \}\}:[ <]", p.read_text(encoding="utf-8"))]
    assert wrong == []


def test_words_for_the_round_kind_the_mean_and_a_405():
    zh = translator("zh_Hans")
    assert zh("Kind of round") != "题型" and "轮" in zh("Kind of round")
    assert zh("Average") == "平均值"
    assert "权限" not in zh("This address cannot do that") + zh("This address does not accept that kind of request.")
    assert zh("Round %(n)s: %(kind)s", n=1, kind="征集建议") == "第 1 轮：征集建议"


def test_only_a_survey_question_has_a_题型():
    """One catalogue serves every page: "Kind" (a budget entry's, an activity's) is 类型;
    a survey question's type has its own msgid."""
    zh = translator("zh_Hans")
    assert zh("Kind") == "类型"
    assert zh("Question type") == "题型"
