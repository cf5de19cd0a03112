"""The shared spreadsheet reader and writer, without a database: CSV encodings, XLSX cells, headers."""

from __future__ import annotations

import datetime as dt

import pytest

from backend import tabular
from backend.tabular import Column, ImportFileInvalid
from schemas.base import ImportReject
from tests.factories import xlsx

COLUMNS = (Column("username", "用户名", required=True), Column("name", "姓名"), Column("count", "数量"))



def read(data: bytes) -> tuple[list[tabular.RawRow], str]:
    return tabular.read_table(data, COLUMNS, max_rows=10, max_bytes=1024 * 1024)


def test_xlsx_first_sheet_reads_like_its_csv_export() -> None:
    data = xlsx([["序号", "用户名", "姓名", "数量"], [1, "zhang", "张三", 12.0], [], [2, "li", dt.datetime(2024, 3, 15), 2.5]])
    rows, encoding = read(data)
    assert encoding == "xlsx"
    assert [(r.row, r.cells) for r in rows] == [
        (2, {"username": "zhang", "name": "张三", "count": "12"}),
        (4, {"username": "li", "name": "2024-03-15", "count": "2.5"}),
    ]


def test_gbk_csv_with_chinese_headers_and_utf8_bom_read_alike() -> None:
    text = "用户名,姓名\r\nzhang,张三\r\n"
    gbk_rows, gbk = read(text.encode("gbk"))
    bom_rows, bom = read("\ufeff".encode() + text.encode())
    assert (gbk, bom) == ("gbk", "utf-8-sig")
    assert gbk_rows == bom_rows == [tabular.RawRow(2, {"username": "zhang", "name": "张三"})]


def test_a_broken_xlsx_and_a_bad_header_refuse_the_whole_file() -> None:
    with pytest.raises(ImportFileInvalid):
        read(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileInvalid) as caught:
        read(xlsx([["姓名", "身高", "姓名"]]))
    assert {(d.field, d.reason) for d in caught.value.detail or []} == {
        ("身高", "无法识别的列名"),
        ("姓名", "列名重复"),
        ("username", "缺少必填列「用户名」(username)"),
    }


def test_reject_report_opens_in_excel_with_labels() -> None:
    body = tabular.rejects_csv([ImportReject(row=3, column="username", reason="用户名已存在")], COLUMNS)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig").splitlines() == ["行号,列,列名,原因", "3,username,用户名,用户名已存在"]
