"""Exports for committee meetings (Excel, CSV) and the QR code of the printable notice.

Cells are written as text or exact numbers; text typed by residents that looks like a
formula (``=…``, ``+…``, ``-…``, ``@…``) is kept as text so a spreadsheet never runs it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from consult import clock
from consult.consultations import rules
from consult.consultations.services import EXPORT_COLUMNS
from consult.i18n import N_
from consult.web.downloads import excel_csv, safe_cell


def _cells(row: dict, t: Callable) -> list:
    """One export row as cell values, in EXPORT_COLUMNS order, in the reader's language."""
    values = {
        **row,
        "estimated_cost": (Decimal(row["estimated_cost_fen"]) / 100
                           if row["estimated_cost_fen"] is not None else None),
        "state": t(rules.STATE_NAMES[row["state"]]),
        "submitted_at": clock.to_local(row["submitted_at"]).replace(tzinfo=None)
        if row["submitted_at"] else None,
        "updated_at": clock.to_local(row["updated_at"]).replace(tzinfo=None),
    }
    return [values[key] for key, _ in EXPORT_COLUMNS]


def headers(t: Callable) -> list[str]:
    return [t(label) for _, label in EXPORT_COLUMNS]


def to_xlsx(rows: list[dict], t: Callable, *, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = t(N_("Ideas"))[:31]
    sheet.append(headers(t))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    cost_column = [key for key, _ in EXPORT_COLUMNS].index("estimated_cost") + 1
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(_cells(row, t), start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever it starts with
            elif c == cost_column and value is not None:
                cell.number_format = "0.00"
            elif hasattr(value, "year"):
                cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    book.properties.title = title[:200]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M")
    return safe_cell(str(value))


def to_csv(rows: list[dict], t: Callable) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on Windows opens the Chinese correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(t))
    for row in rows:
        writer.writerow([_csv_text(v) for v in _cells(row, t)])
    return excel_csv(out.getvalue())

