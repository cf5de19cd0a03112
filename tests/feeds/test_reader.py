"""A department's whole file through the reader, as the worker reads it: encodings, title rows,
sheets, headers, every kind of bad cell reported once, no clear ID number in any reject, and
memory that does not grow with the file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tracemalloc
from pathlib import Path

import pytest

from backend.feeds.columns import STAGING_COLUMNS
from backend.feeds.reader import FeedChunk, FeedFileRejected, FeedReject, open_feed
from backend.pii import Pii, mask_id_number
from backend.tabular import streaming
from schemas.feeds import FeedCode
from tests.factories import make_id_number, xlsx

PII = Pii(os.urandom(32), os.urandom(32))
TITLE = ["石门县医疗保障局2026年10月医疗费用结算明细"]
MEDICAL_HEADER = ["序号", "姓名", "公民身份号码", "就诊日期", "出院日期", "医疗总费用（元）", "统筹支付", "个人自付", "备注"]


def csv_file(tmp_path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    path = tmp_path / "feed.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def read_all(path: Path, feed: FeedCode = FeedCode.medical, **kwargs: object) -> tuple[list[tuple], list[FeedReject]]:
    rows: list[tuple] = []
    rejects: list[FeedReject] = []
    with open_feed(path, feed, PII, **kwargs) as reader:  # type: ignore[arg-type]
        for chunk in reader:
            rows += chunk.rows
            rejects += chunk.rejects
    return rows, rejects


def refusal(path: Path, feed: FeedCode = FeedCode.medical, **kwargs: object) -> FeedFileRejected:
    with pytest.raises(FeedFileRejected) as caught:
        read_all(path, feed, **kwargs)
    return caught.value


def medical_row(n: int, number: str, *cells: str) -> list[str]:
    return [str(n), "张三", number, *(cells or ("2026-03-01", "2026/3/5", "1,234.50", "1000", "234.5")), ""]


def test_gbk_csv_with_a_title_row_reads_into_staging_rows(tmp_path: Path) -> None:
    first, second = make_id_number(), make_id_number()
    path = csv_file(
        tmp_path,
        [TITLE, MEDICAL_HEADER, medical_row(1, first), [], medical_row(2, second, "20260301", "46086", "100", "50", "￥50")],
        encoding="gbk",
    )
    reader = open_feed(path, FeedCode.medical, PII)
    assert (reader.encoding, reader.header_row) == ("gb18030", 2)
    chunks = list(reader)
    march = dt.date(2026, 3, 1)
    assert chunks == [
        FeedChunk(
            rows=[
                (3, PII.id_index(first), mask_id_number(first), march, dt.date(2026, 3, 5), 123_450, 100_000, 23_450),
                (5, PII.id_index(second), mask_id_number(second), march, dt.date(2026, 3, 5), 10_000, 5_000, 5_000),
            ],
            rejects=[],
            rows_read=2,
        )
    ]
    assert all(len(row) == len(STAGING_COLUMNS[FeedCode.medical]) for row in chunks[0].rows)


def test_utf8_with_bom_english_keys_and_tabs_read_alike(tmp_path: Path) -> None:
    number = make_id_number()
    header = ["id_number", "period_start", "period_end", "total_cost", "reimbursed", "out_of_pocket", "extra"]
    path = csv_file(tmp_path, [header, [number, "2026.3.1", "2026年3月5日", "1234.5", "1000", "234.50", "?"]],
                    encoding="utf-8-sig", delimiter="\t")  # fmt: skip
    reader = open_feed(path, FeedCode.medical, PII)
    assert (reader.encoding, reader.header_row) == ("utf-8-sig", 1)
    assert [c.rows for c in reader] == [
        [(2, PII.id_index(number), mask_id_number(number), dt.date(2026, 3, 1), dt.date(2026, 3, 5), 123_450, 100_000, 23_450)]
    ]


def test_xlsx_typed_cells_and_a_named_sheet(tmp_path: Path) -> None:
    number = make_id_number()
    path = tmp_path / "feed.xlsx"
    cover = [["封面"]]
    sheet = [TITLE, [], MEDICAL_HEADER,
             [1, "张三", number, dt.datetime(2026, 3, 1), 46086, 1234.5, 1000, 0.1 + 0.2, None]]  # fmt: skip
    path.write_bytes(xlsx(cover, more_sheets={"结算明细": sheet}))
    reader = open_feed(path, FeedCode.medical, PII, sheet="结算明细")
    assert (reader.encoding, reader.header_row) == ("xlsx", 3)
    assert [c.rows for c in reader] == [
        [(4, PII.id_index(number), mask_id_number(number), dt.date(2026, 3, 1), dt.date(2026, 3, 5), 123_450, 100_000, 30)]
    ]
    refused = refusal(path, sheet="明细")
    assert refused.code == "feed_sheet_not_found"
    assert "「明细」" in refused.message and "Sheet、结算明细" in refused.message
    assert refusal(path).code == "feed_columns_missing"  # the first sheet is the cover


def test_every_kind_of_bad_cell_is_reported_once_and_every_good_row_kept(tmp_path: Path) -> None:
    good = make_id_number()
    bad_id = make_id_number()
    cases = [  # the row's cells after name, and the one reject it must give
        ([bad_id[:-1] + ("1" if bad_id[-1] == "0" else "0"), "2026-03-01", "2026-03-05", "100", "50", "50"], "id_number", "校验位"),
        (["", "2026-03-01", "2026-03-05", "100", "50", "50"], "id_number", "必填项为空"),
        ([good, "2026-02-30", "2026-03-05", "100", "50", "50"], "period_start", "日期不存在"),
        ([good, "2026-03-01", "", "100", "50", "50"], "period_end", "必填项为空"),
        ([good, "2026-03-05", "2026-03-01", "100", "50", "50"], "period_end", "结束日期早于开始日期"),
        ([good, "2026-03-01", "2026-03-05", "-100", "50", "50"], "total_cost", "负数"),
        ([good, "2026-03-01", "2026-03-05", "100", "50.001", "50"], "reimbursed", "两位小数"),
        ([good, "2026-03-01", "2026-03-05", "100", "50", "１０"], "out_of_pocket", "半角数字"),
        ([good, "2026-03-01", "2026-03-05", "100", "50", "150"], "out_of_pocket", "个人自付不能超过总费用"),
        ([good, "2026-03-01", "2026-03-05", "100", "5\x070", "50"], "reimbursed", "控制字符 U+0007"),
    ]
    rows = [TITLE, MEDICAL_HEADER]
    for n, (cells, _, _) in enumerate(cases):
        rows += [medical_row(2 * n + 1, good), ["", "李四", *cells, ""]]
    rows.append(medical_row(99, good, "2026-03-01", "2026-03-05", "100", "", "50"))  # reimbursed empty
    rows.append(["", "王五", "", "2026-03-05", "2026-03-01", "abc", "", "", ""])  # bad everywhere
    path = csv_file(tmp_path, rows, encoding="gbk")
    kept, rejects = read_all(path, chunk_rows=3)
    assert [r[0] for r in kept] == [3 + 2 * n for n in range(len(cases))]
    assert [(r.row_no, r.column_key) for r in rejects] == [
        *((4 + 2 * n, column) for n, (_, column, _) in enumerate(cases)),
        (23, "reimbursed"),
        *((24, c) for c in ("id_number", "period_end", "total_cost", "reimbursed", "out_of_pocket")),
    ]
    for reject, (_, _, reason) in zip(rejects, cases, strict=False):
        assert reason in reject.reason
    assert [r.reason for r in rejects[-5:]] == ["必填项为空", "结束日期早于开始日期", "金额格式不正确，应以元为单位，如 1234.50",
                                                 "必填项为空", "必填项为空"]  # fmt: skip
    shown = " ".join(f"{r.value_masked} {r.reason}" for r in rejects)
    assert good not in shown and bad_id[:-1] not in shown and bad_id[6:14] not in shown


def test_a_byte_the_encoding_cannot_read_rejects_its_row_not_the_file(tmp_path: Path) -> None:
    number = make_id_number()
    header = "身份证号,开始日期,结束日期,总费用,报销金额,个人自付,姓名\r\n".encode("gbk")
    good = f"{number},2026-03-01,2026-03-05,100,50,50,张三\r\n".encode("gbk")
    broken = f"{number},2026-03-01,2026-03-05,100,50,5".encode() + b"\xff0" + ",李四\r\n".encode("gbk")
    path = tmp_path / "feed.csv"
    path.write_bytes(header + good + broken)
    kept, rejects = read_all(path)
    assert [r[0] for r in kept] == [2]
    assert [(r.row_no, r.column_key) for r in rejects] == [(3, "out_of_pocket")]


def test_encoding_is_decided_on_the_first_bytes_that_are_not_ascii(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    path.write_bytes(b"a,b\r\n" * 300_000 + "张三,李四\r\n".encode("gbk"))
    assert streaming.file_encoding(path) == "gb18030"
    path.write_bytes(b"a,b\r\n" * 300_000 + "张三,李四\r\n".encode())
    assert streaming.file_encoding(path) == "utf-8"


@pytest.mark.parametrize(
    ("feed", "header", "cells", "staged"),
    [
        (FeedCode.welfare, ["身份证号", "救助类型", "享受开始日期", "结束日期", "救助金额"], ["临时救助", "2026-03-01", "", "500"],
         ("temporary_relief", dt.date(2026, 3, 1), None, 50_000)),
        (FeedCode.education, ["证件号码", "学段", "学籍状态", "变动日期"], ["初中", "辍学", "2026-03-01"],
         ("compulsory", "dropout", dt.date(2026, 3, 1))),
        (FeedCode.housing, ["身份证号", "房屋地址", "危房等级", "鉴定日期"], ["村东头3号", "C级", "2026-03-01"],
         ("村东头3号", "C", dt.date(2026, 3, 1))),
        (FeedCode.disability, ["身份证号", "残疾类别", "残疾等级", "发证日期"], ["肢体", "二级", "2026-03-01"],
         ("肢体", 2, dt.date(2026, 3, 1))),
        (FeedCode.employment, ["身份证号", "就业状态", "日期"], ["失业", "2026-03-01"],
         ("unemployed", None, dt.date(2026, 3, 1))),
        (FeedCode.disaster, ["身份证号", "灾种", "直接经济损失", "受灾日期"], ["洪涝", "20,000", "2026-03-01"],
         ("洪涝", 2_000_000, dt.date(2026, 3, 1))),
        (FeedCode.civil_registry, ["公民身份号码", "变动类型", "日期"], ["死亡", "2026-03-01"],
         ("death", dt.date(2026, 3, 1))),
        (FeedCode.negative_list, ["身份证号", "清单类型", "存款金额"], ["大额存款", "300000"],
         ("large_deposit", "银行", "", 30_000_000)),
    ],
)  # fmt: skip
def test_each_feed_stages_its_own_columns(tmp_path: Path, feed: FeedCode, header: list[str], cells: list[str],
                                          staged: tuple) -> None:  # fmt: skip
    number = make_id_number()
    rows, rejects = read_all(csv_file(tmp_path, [header, [number, *cells]]), feed)
    assert rejects == []
    assert rows == [(2, PII.id_index(number), mask_id_number(number), *staged)]
    assert len(rows[0]) == len(STAGING_COLUMNS[feed])


def test_water_rows_name_a_person_or_a_village_never_both(tmp_path: Path) -> None:
    number = make_id_number()
    path = csv_file(tmp_path, [
        ["身份证号", "村代码", "问题描述", "日期"],
        [number, "", "水质不达标", "2026-03-01"],
        ["", "430726100201", "季节性缺水", "2026-03-01"],
        [number, "430726100201", "两者都填", "2026-03-01"],
        ["", "", "都没填", "2026-03-01"],
        ["", "43072610020", "村代码不对", "2026-03-01"],
    ])  # fmt: skip
    rows, rejects = read_all(path, FeedCode.water)
    assert rows == [
        (2, PII.id_index(number), mask_id_number(number), None, "水质不达标", dt.date(2026, 3, 1)),
        (3, None, None, "430726100201", "季节性缺水", dt.date(2026, 3, 1)),
    ]
    assert [(r.row_no, r.column_key, r.value_masked) for r in rejects] == [
        (4, "id_number", mask_id_number(number)),
        (5, "id_number", ""),
        (6, "village_code", "43072610020"),
    ]
    assert refusal(csv_file(tmp_path, [["问题", "日期"], ["缺水", "2026-03-01"]]), FeedCode.water).code == "feed_columns_missing"


def test_headers_that_refuse_the_whole_file(tmp_path: Path) -> None:
    missing = refusal(csv_file(tmp_path, [TITLE, ["身份证号", "就诊日期", "备注"], [make_id_number(), "2026-03-01", ""]]))
    assert missing.code == "feed_columns_missing"
    assert missing.message == (
        "第 2 行的表头缺少必填列：「结束日期」(period_end)、「总费用」(total_cost)、「报销金额」(reimbursed)、「个人自付」(out_of_pocket)"
    )
    nothing = refusal(csv_file(tmp_path, [["a", "b"]] * 30))
    assert nothing.code == "feed_columns_missing" and "前 20 行中没有找到表头" in nothing.message
    twice = refusal(csv_file(tmp_path, [[*MEDICAL_HEADER, "入院日期"]]))
    assert (twice.code, twice.message) == ("feed_columns_repeated", "第 1 行的表头中这些列重复了：入院日期")
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    assert refusal(xls).code == "feed_file_unreadable"


def test_a_broken_quote_refuses_the_file_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "feed.csv"
    header = ",".join(MEDICAL_HEADER)
    path.write_text(header + "\n" + '1,张三,"' + "x" * 200_000 + "\n", encoding="utf-8")
    refused = refusal(path)
    assert refused.code == "feed_file_unreadable" and "引号" in refused.message


def test_memory_stays_flat_on_a_large_file(tmp_path: Path) -> None:
    rows = 40_000
    numbers = [make_id_number() for _ in range(100)]
    path = tmp_path / "big.csv"  # not csv_file(): written as it is generated
    with path.open("w", encoding="gbk", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(MEDICAL_HEADER)
        writer.writerows(medical_row(n, numbers[n % 100]) for n in range(rows))
    read_all(csv_file(tmp_path, [MEDICAL_HEADER, medical_row(1, numbers[0])]))  # warm: stdnum's region table
    tracemalloc.start()
    try:
        sizes, read = [], 0
        for chunk in open_feed(path, FeedCode.medical, PII, chunk_rows=2_000):
            sizes.append(len(chunk.rows))
            read = chunk.rows_read
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == rows and set(sizes) == {2_000}
    # Holding all the rows at once takes 16 MiB (tuples, indexes, masks, dates); 20,000 rows peak
    # at the same 3 MiB as 40,000.
    assert peak_bytes < 5 * 2**20
