"""What people download or print: CSV that Excel opens, file responses, QR codes.

One place for the details every domain's exports share: the byte-order mark without
which Excel in China shows UTF-8 Chinese as mojibake, cells that never run as a
spreadsheet formula (every CSV download goes through :func:`excel_csv`, which
neutralises them, so no export can forget), a ``Content-Disposition`` that
keeps a Chinese file name, ``no-store`` (exports hold personal data), and QR codes as
inline SVG (no image request, no inline style, so the CSP stays strict).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import segno
from markupsafe import Markup
from starlette.responses import FileResponse, Response

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PB_TYPE = "text/plain; charset=utf-8"  # pabulib's .pb files are plain text


#: What makes a spreadsheet read a cell as a formula (or hide one behind a tab or CR).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it: a leading apostrophe when it
    starts like a formula; plain numbers (``-3.50``) are left as numbers."""
    if text.startswith(FORMULA_START) and not _NUMBER.match(text):
        return "'" + text
    return text


def excel_csv(text: str) -> bytes:
    """CSV text as UTF-8 with a byte-order mark, so Excel opens the Chinese correctly,
    every cell neutralised by :func:`safe_cell` (idempotent: a cell already starting
    with an apostrophe is left alone)."""
    text = text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if any(cell.startswith(FORMULA_START) for row in rows for cell in row):
        out = io.StringIO()
        ending = "\r\n" if "\r\n" in text else "\n"
        csv.writer(out, lineterminator=ending).writerows(
            [[safe_cell(cell) for cell in row] for row in rows])
        text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8")


def _attachment(filename: str) -> dict[str, str]:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != filename:
        disposition += f"; filename*=UTF-8''{quote(filename)}"
    return {"content-disposition": disposition, "cache-control": "no-store"}


def download(data: bytes | str, filename: str, media_type: str) -> Response:
    """An attachment that is never cached; ``filename`` may be Chinese (RFC 6266)."""
    return Response(data, media_type=media_type, headers=_attachment(filename))


def download_file(path: Path, filename: str, media_type: str, sha256: str | None = None) -> Response:
    """A stored file as an attachment (``download``'s headers), streamed in pieces from
    a worker thread: neither held in memory whole nor read on the event loop. Its
    SHA-256, when known, goes along in ``x-content-sha256``."""
    headers = _attachment(filename)
    if sha256:
        headers["x-content-sha256"] = sha256
    return FileResponse(path, media_type=media_type, headers=headers)


def qr_svg(url: str, scale: int = 6) -> Markup:
    """A QR code for ``url`` (one of our own addresses) as inline SVG of class ``qr``."""
    return Markup(segno.make_qr(url, error="m").svg_inline(scale=scale, svgclass="qr", lineclass=None))


def xlsx_bytes(rows, title: str = "Sheet") -> bytes:
    """``rows`` (the first is the header, shown bold) as an Excel workbook; text cells go
    through :func:`safe_cell`, as in every CSV, so none runs as a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append([safe_cell(v) if isinstance(v, str) else v for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def table_download(rows, stem: str, fmt: str, sheet: str | None = None) -> Response:
    """A table (header row first) as ``stem.csv`` (Excel's CSV, :func:`excel_csv`) or,
    when ``fmt`` is ``"xlsx"``, as ``stem.xlsx`` with one sheet named ``sheet`` (default
    the stem)."""
    if fmt == "xlsx":
        return download(xlsx_bytes(rows, sheet or stem), f"{stem}.xlsx", XLSX_TYPE)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return download(excel_csv(out.getvalue()), f"{stem}.csv", CSV_TYPE)
