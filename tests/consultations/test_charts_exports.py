"""The SVG chart and the export helpers, without a database."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook

from consult.consultations import charts, exports
from consult.consultations.services import EXPORT_COLUMNS
from consult.i18n import translator


def test_bar_lengths_are_proportional_and_labels_escaped():
    svg = charts.bar_chart([("<b>恒丰</b>", 10), ("郑家巷", 5), ("东王", 0)], title="按居民区 & 类别")
    widths = [int(w) for w in re.findall(r'<rect x="0" y="\d+" width="(\d+)"', svg)]
    span = charts.WIDTH - charts.VALUE_ROOM
    assert widths == [span, span // 2, 1]  # a zero still shows a hairline
    assert "&lt;b&gt;恒丰&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'aria-label="按居民区 &amp; 类别"' in svg
    assert " style=" not in svg


def test_empty_chart_is_still_valid_svg():
    svg = charts.bar_chart([], title="无")
    assert svg.startswith("<svg") and svg.endswith("</svg>")


ROW = {
    "id": 7, "title": "-1+2", "description": "@SUM(A1)", "category": "实事项目", "area": "恒丰",
    "place": "恒丰花园1号楼组", "estimated_cost_fen": 350050, "state": "shortlisted",
    "state_note": "", "merged_into": None, "supports": 3, "comments": 1, "versions": 2,
    "photos": 1, "round": 2, "author": "刘秀英",
    "submitted_at": datetime(2026, 3, 1, 1, 0, tzinfo=UTC),
    "updated_at": datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
}


def test_csv_has_bom_beijing_times_exact_money_and_no_formulas():
    data = exports.to_csv([ROW], translator("zh_Hans"))
    assert data.startswith(b"\xef\xbb\xbf")
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(header) == len(EXPORT_COLUMNS) == len(row)
    assert row[1] == "'-1+2" and row[2] == "'@SUM(A1)"
    assert row[6] == "3500.50" and row[7] == "已入围"
    assert row[16] == "2026-03-01 09:00"  # Beijing time


def test_xlsx_keeps_text_as_text_and_money_exact():
    sheet = load_workbook(io.BytesIO(exports.to_xlsx([ROW], translator("en"), title="t"))).active
    assert sheet.cell(row=1, column=1).value == "Idea number"
    assert sheet.cell(row=2, column=2).data_type == "s" and sheet.cell(row=2, column=2).value == "-1+2"
    assert Decimal(str(sheet.cell(row=2, column=7).value)) == Decimal("3500.50")
    assert sheet.cell(row=2, column=8).value == "Shortlisted"
