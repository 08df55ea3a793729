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


def test_excel_csv_neutralises_every_cell_that_a_spreadsheet_would_run():
    from consult.web.downloads import safe_cell

    text = ('name,area\r\n=HYPERLINK("http://x"),1\r\n+1+1,2\r\n-2+3,-3.50\r\n@SUM(A1),4\r\n'
            '"\tcmd",5\r\n"\rcmd",6\r\nplain,+7\r\n')
    out = excel_csv(text).decode("utf-8-sig")
    import csv
    rows = list(csv.reader(out.splitlines(keepends=True)))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1+1", "'-2+3", "'@SUM(A1)",
                                       "'\tcmd", "'\rcmd", "plain"]
    assert [r[1] for r in rows[1:]] == ["1", "2", "-3.50", "4", "5", "6", "+7"]  # numbers stay numbers
    assert out.endswith("\r\n") and "\r\n" in out
    assert excel_csv(out) == out.encode("utf-8-sig")  # neutralising twice changes nothing
    assert safe_cell("=1") == "'=1" and safe_cell("-12.5") == "-12.5" and safe_cell("a=b") == "a=b"
