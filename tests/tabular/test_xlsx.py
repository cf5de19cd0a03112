"""The streamed XLSX writer: what Excel (here openpyxl) reads back, and that it streams."""

from __future__ import annotations

import datetime as dt
import decimal
import io
import tracemalloc
from collections.abc import AsyncIterator, Sequence

import openpyxl

from backend.tabular.writing import attachment_headers
from backend.tabular.xlsx import column_letters, xlsx_chunks


async def pages_of(rows: list[list[object]], size: int) -> AsyncIterator[Sequence[Sequence[object]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def workbook(sheet: str, header: Sequence[str], rows: list[list[object]], size: int = 2) -> openpyxl.Workbook:
    data = b"".join([chunk async for chunk in xlsx_chunks(sheet, header, pages_of(rows, size))])
    return openpyxl.load_workbook(io.BytesIO(data))


async def test_cells_read_back_as_written() -> None:
    rows: list[list[object]] = [
        ["石门县", 12, 3.5, decimal.Decimal("182.30"), dt.date(2026, 10, 1)],
        ["<a & b>\x01", None, 0, None, "430726198803150012"],
        ["末行", -1, 1e-3, decimal.Decimal(0), ""],
    ]
    book = await workbook("预警/看板", ["乡镇", "数量", "比例", "金额（元）", "日期"], rows)
    sheet = book.active
    assert sheet.title == "预警_看板"
    got = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert got[0] == ["乡镇", "数量", "比例", "金额（元）", "日期"]
    assert got[1] == ["石门县", 12, 3.5, 182.3, "2026-10-01"]
    # control characters dropped, markup kept as text, an 18-digit number kept as text (no 4.3E+17)
    assert got[2] == ["<a & b>", None, 0, None, "430726198803150012"]
    assert got[3][:4] == ["末行", -1, 0.001, 0]
    assert sheet["A1"].font.b and not sheet["A2"].font.b


async def test_an_empty_export_is_a_header_only_workbook() -> None:
    book = await workbook("空", ["编号"], [])
    assert [list(r) for r in book.active.iter_rows(values_only=True)] == [["编号"]]


async def test_pages_are_sent_as_they_come_without_holding_the_sheet() -> None:
    async def many() -> AsyncIterator[Sequence[Sequence[object]]]:
        for page in range(200):
            yield [[f"户{page}-{i}", page * 1000 + i, "备注" * 10] for i in range(500)]

    tracemalloc.start()
    sizes = []
    async for chunk in xlsx_chunks("全部", ["户", "序号", "备注"], many()):
        sizes.append(len(chunk))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(sizes) == 201 and sum(1 for s in sizes if s) > 50  # pieces flow while rows come
    assert peak < 8 * 1024 * 1024  # 100,000 rows, a few MiB of XML: one page held at a time


def test_column_letters() -> None:
    assert [column_letters(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_a_chinese_file_name_rides_in_filename_star() -> None:
    headers = attachment_headers("预警看板-2026.xlsx")
    assert headers["Content-Disposition"] == (
        "attachment; filename=\"____-2026.xlsx\"; filename*=UTF-8''%E9%A2%84%E8%AD%A6%E7%9C%8B%E6%9D%BF-2026.xlsx"
    )
    assert attachment_headers("rejects.csv")["Content-Disposition"] == 'attachment; filename="rejects.csv"'
