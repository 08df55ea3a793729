"""Find every translatable string in the code and templates.

``python -m consult.i18n.extract`` lists the strings missing from the Chinese
catalogues (and, with ``--add FILE.po``, appends them to that file with an empty
translation for a translator to fill). The test suite fails while any is missing.
"""

from __future__ import annotations

import argparse
import sys

from babel.messages.extract import extract_from_dir

from consult.config import ROOT
from consult.i18n import translator

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHOD_MAP = [("consult/**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}


def extract() -> dict[str, list[str]]:
    """msgid → the places it occurs (file:line)."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS,
    ):
        if filename.startswith((".venv", "tests")):
            continue
        ids = message if isinstance(message, tuple) else (message,)
        for msgid in ids:
            if msgid:
                found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def missing(locale: str = "zh_Hans") -> dict[str, list[str]]:
    known = translator.__wrapped__(locale)._messages
    return {msgid: places for msgid, places in extract().items() if msgid not in known}


def _po_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--add", help="append missing strings to this .po file")
    parser.add_argument("--only", action="append", default=[],
                        help="only strings found under this path prefix (repeatable)")
    args = parser.parse_args(argv)
    gaps = missing()
    if args.only:
        gaps = {m: p for m, p in gaps.items() if any(x.startswith(tuple(args.only)) for x in p)}
    if args.add:
        with open(args.add, "a", encoding="utf-8") as fh:
            for msgid, places in gaps.items():
                fh.write(f"\n#: {' '.join(places[:3])}\nmsgid \"{_po_escape(msgid)}\"\nmsgstr \"\"\n")
    for msgid, places in gaps.items():
        print(f"{places[0]}: {msgid}")
    return 1 if gaps and not args.add else 0


if __name__ == "__main__":
    sys.exit(main())
