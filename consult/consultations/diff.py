"""Differences between two versions of an idea, for the public "what changed" view.

Residents compare rounds of an idea on a phone, so the diff has to read naturally in
both languages: Chinese has no spaces, so it is compared character by character
(changing 一个 to 两个 marks only 一/两), while Latin text is compared word by word
(changing "green" to "red" replaces the word, not a jumble of letters). Mixed text is
tokenised accordingly, so each script gets the granularity that suits it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, NamedTuple

from markupsafe import Markup, escape

from consult.parsing import as_text

__all__ = [
    "FieldDiff",
    "Op",
    "Segment",
    "diff_fields",
    "diff_text",
    "render_html",
    "tokenize",
]

Op = Literal["equal", "insert", "delete"]

# Scripts written without spaces between words (plus their punctuation and the
# full-width forms used alongside them): every character is its own token.
_CJK = (
    "\u2e80-\u2fdf"  # CJK radicals, Kangxi radicals
    "\u3000-\u303f"  # CJK symbols and punctuation (、。「」)
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3190-\u33ff"  # Kanbun, strokes, enclosed letters, compatibility
    "\u3400-\u4dbf"  # Extension A
    "\u4e00-\u9fff"  # Unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # Compatibility ideographs
    "\ufe30-\ufe4f"  # Compatibility forms (vertical punctuation)
    "\uff00-\uffef"  # Half-width and full-width forms (，！：（）)
    "\U00020000-\U0003134f"  # Extensions B-H
)

_TOKEN_RE = re.compile(
    rf"[{_CJK}]"  # one CJK character
    rf"|[^\W_{_CJK}]+"  # a run of letters/digits in any other script
    r"|\s+"  # a run of whitespace
    r"|.",  # any other single character (punctuation, symbols, emoji)
    re.DOTALL,
)


class Segment(NamedTuple):
    """A run of text that is unchanged, added or removed; unpacks as ``(op, text)``."""

    op: Op
    text: str


def tokenize(text: str) -> list[str]:
    """Split text into diff units; the tokens always join back to ``text`` exactly."""
    return _TOKEN_RE.findall(text)


def diff_text(old: str, new: str) -> list[Segment]:
    """Compare two versions of a text.

    Returns segments in reading order with no two neighbours sharing an op; within a
    changed stretch the deletion comes before the insertion. Joining the ``equal`` and
    ``delete`` texts gives ``old``; joining ``equal`` and ``insert`` gives ``new``.
    """
    a, b = tokenize(old), tokenize(new)

    # Common head and tail are the usual case for small edits and cost nothing to
    # strip, keeping SequenceMatcher's quadratic work to the part that changed.
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1

    raw: list[Segment] = [Segment("equal", "".join(a[:head]))]
    mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
    # autojunk would treat frequent tokens (spaces, 的) as junk and produce odd diffs.
    matcher = SequenceMatcher(None, mid_a, mid_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            raw.append(Segment("equal", "".join(mid_a[i1:i2])))
            continue
        raw.append(Segment("delete", "".join(mid_a[i1:i2])))
        raw.append(Segment("insert", "".join(mid_b[j1:j2])))
    raw.append(Segment("equal", "".join(a[len(a) - tail :])))

    return _coalesce(_absorb_lone_spaces([s for s in raw if s.text]))


def _absorb_lone_spaces(segments: Sequence[Segment]) -> list[Segment]:
    """Fold a whitespace-only match that sits between two changes into the change.

    Rewriting "the green door" as "a red house" should read as one replaced phrase,
    not three replaced words held together by two "unchanged" spaces.
    """
    out: list[Segment] = []
    for i, seg in enumerate(segments):
        if (
            seg.op == "equal"
            and seg.text.isspace()
            and 0 < i < len(segments) - 1
            and segments[i - 1].op != "equal"
            and segments[i + 1].op != "equal"
        ):
            out.append(Segment("delete", seg.text))
            out.append(Segment("insert", seg.text))
        else:
            out.append(seg)
    return out


def _coalesce(segments: Iterable[Segment]) -> list[Segment]:
    """Merge neighbours: each changed stretch becomes one delete then one insert."""
    out: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(Segment("delete", "".join(deleted)))
        if inserted:
            out.append(Segment("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for seg in segments:
        if seg.op == "delete":
            deleted.append(seg.text)
        elif seg.op == "insert":
            inserted.append(seg.text)
        else:
            flush()
            if out and out[-1].op == "equal":
                out[-1] = Segment("equal", out[-1].text + seg.text)
            else:
                out.append(seg)
    flush()
    return out


_TAGS: dict[str, Markup] = {
    "equal": Markup("{}"),
    "insert": Markup("<ins>{}</ins>"),
    "delete": Markup("<del>{}</del>"),
}


def render_html(segments: Iterable[tuple[str, str]]) -> Markup:
    """Render segments as HTML with ``<ins>``/``<del>``; all text is escaped.

    Idea text is written by residents, so it is never trusted as markup. Line breaks
    are kept as-is; the template shows them with ``white-space: pre-wrap``.
    """
    parts: list[Markup] = []
    for op, text in segments:
        try:
            tag = _TAGS[op]
        except KeyError:
            raise ValueError(f"unknown diff op {op!r}") from None
        # str() first: even text that arrives as Markup is resident input and escaped.
        parts.append(tag.format(escape(str(text))))
    return Markup("").join(parts)


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """How one field (title, description, cost...) changed between two versions."""

    field: str
    old: str
    new: str
    segments: tuple[Segment, ...]
    changed: bool

    @property
    def html(self) -> Markup:
        """The segments rendered for a template."""
        return render_html(self.segments)


def diff_fields(
    old: Mapping[str, Any], new: Mapping[str, Any], fields: Iterable[str]
) -> list[FieldDiff]:
    """Diff several fields of two versions, in the order given.

    Values are compared as text (``None`` and missing keys count as empty), so a cost
    of 1200 and "1200" are the same to a reader and show as unchanged.
    """
    result: list[FieldDiff] = []
    for name in fields:
        before, after = as_text(old.get(name)), as_text(new.get(name))
        result.append(
            FieldDiff(
                field=name,
                old=before,
                new=after,
                segments=tuple(diff_text(before, after)),
                changed=before != after,
            )
        )
    return result
