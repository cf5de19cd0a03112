"""One department cell at a time: what is read, into what, and the reason a bad one is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.feeds import cells
from backend.tabular import CellError
from tests.factories import make_id_number
from tests.registry.importfiles import legacy_15

MARCH_1 = dt.date(2026, 3, 1)


def refused(parse: object, text: str) -> str:
    with pytest.raises(CellError) as caught:
        parse(text)  # type: ignore[operator]
    return str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["2026-03-01", "2026/3/1", "2026.3.1", "20260301", "2026年3月1日", "2026年03月01", "2026-03-01 00:00:00",
     "2026/3/1 8:30", "46082", "46082.5"],
)  # fmt: skip
def test_dates_in_every_way_departments_write_them(text: str) -> None:
    assert cells.date(text) == MARCH_1


def test_excel_serials_count_from_1899_12_30() -> None:
    assert cells.date("45292") == dt.date(2024, 1, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2026-02-30", "日期不存在"),
        ("2026-13-01", "日期不存在"),
        ("2026-3", "日期格式无法识别"),
        ("2026", "日期格式无法识别"),  # a year is no Excel serial
        ("下月", "日期格式无法识别"),
        ("２０２６-03-01", "半角数字"),
        ("1899-12-31", "1900 年到 2100 年"),
        ("2026-W09-7", "日期格式无法识别"),  # ISO week dates: fromisoformat would take it
    ],
)
def test_bad_dates_say_why(text: str, reason: str) -> None:
    assert reason in refused(cells.date, text)


@pytest.mark.parametrize(
    ("text", "fen"),
    [("1234", 123_400), ("1234.5", 123_450), ("1,234.50", 123_450), ("¥12.05", 1205), ("￥ 12", 1200),
     ("12元", 1200), ("0.05", 5), ("12.500", 1250), ("0", 0), ("999999999999.99", 99_999_999_999_999)],
)  # fmt: skip
def test_amounts_in_yuan_become_integer_fen(text: str, fen: int) -> None:
    assert cells.amount_fen(text) == fen


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-1", "负数"),
        ("¥-12.00", "负数"),
        ("1.234", "两位小数"),
        ("1,23", "金额格式不正确"),
        ("1e3", "金额格式不正确"),
        ("１２", "半角数字"),
        ("1000000000000", "金额过大"),
    ],
)
def test_bad_amounts_say_why(text: str, reason: str) -> None:
    assert reason in refused(cells.amount_fen, text)


def test_id_numbers_are_checked_and_legacy_ones_converted() -> None:
    number = make_id_number()
    assert cells.id_number(number.lower()) == number
    assert cells.id_number(legacy_15(number)) == number
    assert "校验位" in refused(cells.id_number, number[:-1] + ("1" if number[-1] == "0" else "0"))
    assert "科学计数法" in refused(cells.id_number, "4.50102E+17")
    assert "半角数字" in refused(cells.id_number, number.translate(str.maketrans("0123456789", "０１２３４５６７８９")))
    assert "18位" in refused(cells.id_number, number[:-2])


@pytest.mark.parametrize(
    ("parse", "text", "code"),
    [
        (cells.choice(cells.WELFARE_KINDS), "低保", "dibao"),
        (cells.choice(cells.WELFARE_KINDS), "特困供养", "tekun"),
        (cells.choice(cells.WELFARE_KINDS), "临时救助", "temporary_relief"),
        (cells.choice(cells.WELFARE_KINDS), "DIBAO", "dibao"),
        (cells.choice(cells.EDUCATION_STAGES), "初中", "compulsory"),
        (cells.choice(cells.EDUCATION_STAGES), "high_school", "high_school"),
        (cells.choice(cells.EDUCATION_STATUSES), "辍学", "dropout"),
        (cells.choice(cells.EDUCATION_STATUSES), "休 学", "suspended"),
        (cells.choice(cells.EMPLOYMENT_STATUSES), "公益性岗位", "public_post"),
        (cells.choice(cells.EMPLOYMENT_STATUSES), "失业", "unemployed"),
        (cells.choice(cells.CIVIL_EVENTS), "死亡", "death"),
        (cells.choice(cells.CIVIL_EVENTS), "迁出", "moved_out"),
        (cells.choice(cells.NEGATIVE_LIST_KINDS), "企业法人或股东", "enterprise_role"),
        (cells.choice(cells.NEGATIVE_LIST_KINDS), "大额存款", "large_deposit"),
        (cells.housing_grade, "A级", "A"),
        (cells.housing_grade, "d", "D"),
        (cells.housing_grade, "C级危房", "C"),
        (cells.disability_level, "一级", 1),
        (cells.disability_level, "二级残疾", 2),
        (cells.disability_level, "4", 4),
    ],
)
def test_enums_in_chinese_or_english(parse: object, text: str, code: object) -> None:
    assert parse(text) == code  # type: ignore[operator]


def test_unknown_enum_words_list_what_may_be_written() -> None:
    assert refused(cells.choice(cells.WELFARE_KINDS), "五保户") == "无法识别「五保户」，可填：低保、特困、临时救助"
    assert "A、B、C 或 D" in refused(cells.housing_grade, "E")
    assert "1–4" in refused(cells.disability_level, "5")
    assert "1–4" in refused(cells.disability_level, "４")


def test_free_text_refuses_what_cannot_be_stored_or_shown() -> None:
    parse = cells.text(10)
    assert parse("村东头 3 号") == "村东头 3 号"
    assert refused(parse, "坏\x07字") == "含有控制字符 U+0007"
    assert "文件编码" in refused(parse, "张\ufffd")
    assert "换行" in refused(parse, "一\n二")
    assert "10 个字" in refused(parse, "长" * 11)


def test_village_codes_are_twelve_ascii_digits() -> None:
    assert cells.village_code("430726100201") == "430726100201"
    for bad in ("43072610020", "4307261002011", "４３0726100201", "43072610020A"):
        assert "12位数字" in refused(cells.village_code, bad)


def test_reject_values_never_show_an_id_number_in_clear() -> None:
    number = make_id_number()
    assert cells.reject_value(number, id_column=True) == number[:6] + "********" + number[-4:]
    assert cells.reject_value(number[:-1], id_column=True) == number[:6] + "*******" + number[-5:-1]
    assert cells.reject_value("12345", id_column=True) == "（5位）"
    assert cells.reject_value("12345678901234", id_column=True) == "（14位）"
    assert number not in cells.reject_value(f"备注 {number} 住院", id_column=False)
    assert cells.reject_value("x" * 80, id_column=False) == "x" * 50
    assert cells.reject_value("a\x00b", id_column=False) == "a�b"
