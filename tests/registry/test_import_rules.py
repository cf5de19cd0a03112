"""The import file checks without a database: encodings, header, cells, whole-household rejection."""

import codecs

import pytest

from backend.registry.importer import columns, rules
from backend.registry.importer.errors import ImportFileInvalid
from tests.factories import VILLAGE_A1A, VILLAGE_B1A, make_id_number
from tests.registry.importfiles import csv_bytes, legacy_15


def facts(**overrides) -> rules.RegistryFacts:
    values = {
        "village_levels": {VILLAGE_A1A: "village", VILLAGE_B1A: "village"},
        "scope_prefix": "450102",
        "taken_household_nos": frozenset(),
        "registered_id_numbers": frozenset(),
    } | overrides
    return rules.RegistryFacts(**values)


def check(data: bytes, **fact_overrides) -> rules.ImportCheck:
    raw, _ = columns.read_rows(data)
    return rules.check(rules.parse_rows(raw), facts(**fact_overrides))


def test_chinese_headers_and_words_in_gbk_are_read() -> None:
    head, child = make_id_number(), make_id_number("20100101")
    data = csv_bytes(
        [
            (
                "H1001",
                VILLAGE_A1A,
                "脱贫户",
                "一组",
                "13800001111",
                "张大山",
                head,
                "户主",
                "普通劳动力",
                "健康",
            ),
            ("H1001", "", "", "", "", "张小山", child, "之子", "无劳动力", "长期慢性病"),
        ],
        header=(
            "户编号",
            "村代码",
            "户类型",
            "住址",
            "户主电话",
            "姓名",
            "身份证号",
            "与户主关系",
            "劳动能力",
            "健康状况",
        ),
        encoding="gbk",
    )
    raw, encoding = columns.read_rows(data)
    assert encoding == "gbk"
    result = rules.check(rules.parse_rows(raw), facts())
    assert result.rejects == []
    (household,) = result.households
    assert household.category == "lifted"
    assert household.head_phone == "13800001111"
    assert [m.relation for m in household.members] == ["head", "child"]
    assert household.members[1].health == "chronic"


def test_utf8_with_bom_is_read() -> None:
    data = codecs.BOM_UTF8 + csv_bytes(
        [("H1001", VILLAGE_A1A, "ordinary", "", "", "李四", make_id_number(), "head", "", "")]
    )
    raw, encoding = columns.read_rows(data)
    assert encoding == "utf-8-sig"
    assert raw[0].cells["household_no"] == "H1001"


def test_a_missing_required_column_refuses_the_file() -> None:
    with pytest.raises(ImportFileInvalid) as caught:
        columns.read_rows(
            csv_bytes([], header=("household_no", "village_code", "category", "name", "relation", "身高"))
        )
    fields = {d.field for d in caught.value.detail or []}
    assert fields == {"id_number", "身高"}


def test_fifteen_digit_numbers_are_converted() -> None:
    number = make_id_number("19850315")
    result = check(
        csv_bytes([("H1001", VILLAGE_A1A, "ordinary", "", "", "王五", legacy_15(number), "head", "", "")])
    )
    assert result.households[0].members[0].id_number == number


def test_one_bad_member_rejects_the_whole_household() -> None:
    good, bad = make_id_number(), make_id_number()
    bad = bad[:-1] + ("0" if bad[-1] != "0" else "1")
    result = check(
        csv_bytes(
            [
                ("H1001", VILLAGE_A1A, "lifted", "", "", "甲", good, "head", "", ""),
                ("H1001", VILLAGE_A1A, "lifted", "", "", "乙", bad, "spouse", "", ""),
            ]
        )
    )
    assert result.households == []
    assert result.households_rejected == 1
    assert [(r.row, r.column) for r in result.rejects] == [(2, "household_no"), (3, "id_number")]
    assert "校验位" in result.rejects[1].reason


def test_household_checks_name_row_and_column() -> None:
    registered = make_id_number()
    twice = make_id_number()
    rows = [
        (
            "H1001",
            "450102001099",
            "lifted",
            "",
            "",
            "甲",
            make_id_number(),
            "head",
            "",
            "",
        ),  # 2 unknown village
        ("H1002", VILLAGE_B1A, "lifted", "", "", "乙", make_id_number(), "head", "", ""),  # 3 out of scope
        ("H1003", VILLAGE_A1A, "lifted", "", "", "丙", make_id_number(), "spouse", "", ""),  # 4 no head
        ("H1004", VILLAGE_A1A, "lifted", "", "", "丁", registered, "head", "", ""),  # 5 already registered
        ("H1005", VILLAGE_A1A, "lifted", "", "", "戊", twice, "head", "", ""),  # 6 duplicate in file
        ("H1006", VILLAGE_A1A, "lifted", "", "", "己", twice, "head", "", ""),  # 7 duplicate in file
        ("H1007", VILLAGE_A1A, "gone", "", "", "庚", make_id_number(), "老板", "", ""),  # 8 two bad enums
        ("H1008", VILLAGE_A1A, "lifted", "", "", "辛", make_id_number(), "head", "", ""),  # 9 taken number
        ("H1009", VILLAGE_A1A, "lifted", "", "", "壬", make_id_number(), "head", "", ""),  # 10 good
    ]
    result = check(
        csv_bytes(rows),
        registered_id_numbers=frozenset({registered}),
        taken_household_nos=frozenset({"H1008"}),
    )
    assert [h.household_no for h in result.households] == ["H1009"]
    assert {(r.row, r.column) for r in result.rejects} >= {
        (2, "village_code"),
        (3, "village_code"),
        (4, "relation"),
        (5, "id_number"),
        (6, "id_number"),
        (7, "id_number"),
        (8, "category"),
        (8, "relation"),
        (9, "household_no"),
    }
    assert rules.rows_rejected(result.rejects) == 8
    reasons = {r.row: r.reason for r in result.rejects if r.column in ("village_code", "id_number")}
    assert "不存在" in reasons[2] and "管辖范围" in reasons[3]
    assert "第 6、7 行" in reasons[6]


def test_household_columns_must_agree() -> None:
    result = check(
        csv_bytes(
            [
                ("H1001", VILLAGE_A1A, "lifted", "", "", "甲", make_id_number(), "head", "", ""),
                ("H1001", VILLAGE_A1A, "ordinary", "", "", "乙", make_id_number(), "spouse", "", ""),
            ]
        )
    )
    assert result.households == []
    assert (2, "category") in {(r.row, r.column) for r in result.rejects}


def test_scientific_notation_from_excel_is_explained() -> None:
    result = check(csv_bytes([("H1001", VILLAGE_A1A, "lifted", "", "", "甲", "4.50102E+17", "head", "", "")]))
    assert "科学计数法" in result.rejects[0].reason


def test_a_name_is_one_line_and_an_address_may_break() -> None:
    result = check(
        csv_bytes(
            [
                ("H3001", VILLAGE_A1A, "lifted", "一组\n3号", "", "王大", make_id_number(), "head", "", ""),
                ("H3002", VILLAGE_A1A, "lifted", "", "", "李\n大", make_id_number(), "head", "", ""),
            ]
        )
    )
    assert [h.household_no for h in result.households] == ["H3001"]
    assert [(r.column, r.reason) for r in result.rejects if r.column == "name"] == [("name", "不能换行或含制表符")]
