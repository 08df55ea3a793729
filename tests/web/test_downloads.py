"""Shared download helpers: Excel-friendly CSV, attachment headers, QR codes."""

from __future__ import annotations

import re
from urllib.parse import unquote

from consult.web.downloads import download, excel_csv, qr_svg


def test_qr_code_is_a_regular_qr_in_svg():
    svg = str(qr_svg("http://127.0.0.1:8000/consultations/1"))
    assert svg.startswith("<svg") and 'class="qr"' in svg and " style=" not in svg
    side = int(re.search(r'width="(\d+)"', svg).group(1)) // 6
    assert side >= 21 + 8  # a full QR code (version 1 or more) with its quiet zone, not a Micro QR


def test_excel_csv_has_exactly_one_byte_order_mark():
    assert excel_csv("标题,金额\r\n") == "\ufeff标题,金额\r\n".encode()
    assert excel_csv("\ufeffa\r\n") == "\ufeffa\r\n".encode()


def test_download_is_an_uncached_attachment_that_keeps_a_chinese_name():
    plain = download(b"x", "ideas-3.csv", "text/csv")
    assert plain.headers["content-disposition"] == 'attachment; filename="ideas-3.csv"'
    assert plain.headers["cache-control"] == "no-store"
    chinese = download("数据", "业主名册.csv", "text/csv; charset=utf-8")
    disposition = chinese.headers["content-disposition"]
    fallback, star = re.fullmatch(r'attachment; filename="([^"]+)"; filename\*=UTF-8\'\'(\S+)', disposition).groups()
    assert fallback.isascii() and unquote(star) == "业主名册.csv"
    assert chinese.body == "数据".encode()
