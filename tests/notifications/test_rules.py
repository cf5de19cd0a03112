import datetime as dt

import pytest

from backend.notifications import rules
from backend.notifications.rules import Message, Outcome


def message(**overrides) -> Message:
    values = {
        "title": "您的防止返贫监测申请已经县级审定通过，请留意帮扶责任人联系",
        "body": "帮扶责任人将在10个工作日内联系您",
        "created_at": dt.datetime(2026, 3, 1, 16, 5, tzinfo=dt.UTC),
        "data": {"ref": "SQ-2026-0001", "when": "2026-03-05T09:30:00+08:00", "name": "张三丰"},
        "page": "pages/case/detail",
    }
    values.update(overrides)
    return Message(**values)


def test_thing_is_cut_to_20_characters_with_an_ellipsis() -> None:
    value = rules.cut_field_value("thing", message().title)
    assert len(value) == 20
    assert value.endswith("…")
    assert value.startswith("您的防止返贫监测申请已经县级审定")


def test_short_values_pass_unchanged() -> None:
    assert rules.cut_field_value("thing", "申请已受理") == "申请已受理"
    assert rules.cut_field_value("phrase", "已通过") == "已通过"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("phrase", "风险已经消除了", "风险已经消"),  # 5 Chinese characters
        ("phrase", "OK已通过!", "已通过"),  # only Chinese characters are allowed
        ("character_string", "SQ-2026-0001-申请-" + "9" * 30, "SQ-2026-0001--" + "9" * 18),  # 32, no Chinese
        ("number", "12,345.50 元", "12345.50"),
        ("name", "欧阳娜娜娜娜娜娜娜娜娜", "欧阳娜娜娜娜娜娜娜娜"),  # Chinese names: 10
        ("name", "Alexandra Christina Smith", "Alexandra Christina "),  # letters: 20
        ("phone_number", "+86 138-0013-8000 转 1", "+86138-0013-80001"),
        ("thing", "", "-"),  # WeChat refuses empty values
        ("phrase", "", "无"),
    ],
)
def test_values_are_made_acceptable_per_field_type(kind: str, value: str, expected: str) -> None:
    assert rules.cut_field_value(kind, value) == expected


def test_every_field_rule_fits_its_own_limit() -> None:
    for kind, rule in rules.FIELD_RULES.items():
        assert len(rules.cut_field_value(kind, "9" * 100)) <= rule.max_chars


def test_field_type_reads_wechat_keys() -> None:
    assert rules.field_type("thing1") == "thing"
    assert rules.field_type("character_string12") == "character_string"
    assert rules.field_type("thing") is None
    assert rules.field_type("colour1") is None


def test_render_fields_takes_sources_and_formats_times_in_china() -> None:
    fields = {
        "thing1": "title",
        "phrase2": "literal:已通过",
        "time3": "created_at",
        "date4": "data.when",
        "character_string5": "data.ref",
        "thing6": "data.missing",
        "name7": "data.name",
    }
    rendered = rules.render_fields(fields, message())
    assert rendered == {
        "thing1": rules.cut_field_value("thing", message().title),
        "phrase2": "已通过",
        "time3": "2026年3月2日 00:05",  # 16:05 UTC is past midnight in Asia/Shanghai
        "date4": "2026年3月5日",
        "character_string5": "SQ-2026-0001",
        "thing6": "-",
        "name7": "张三丰",
    }


def test_render_page_fills_placeholders_or_falls_back_to_the_notification_page() -> None:
    assert rules.render_page("pages/case/detail?ref={ref}", message()) == "pages/case/detail?ref=SQ-2026-0001"
    assert rules.render_page("", message()) == "pages/case/detail"
    assert rules.render_page("pages/x?id={nope}", message()) == "pages/x?id="
    assert (
        rules.render_page("", message(page="/pages/application/detail?id=7"))
        == "pages/application/detail?id=7"
    )


def test_template_field_problems_name_each_bad_key() -> None:
    problems = rules.template_field_problems(
        {
            "thing1": "title",
            "colour2": "title",
            "phrase3": "datum.x",
            "time4": "created_at",
            "thing5": "literal:",
        }
    )
    assert set(problems) == {"colour2", "phrase3", "thing5"}


def test_retry_schedule_backs_off_then_gives_up() -> None:
    delays = [rules.retry_delay_s(n) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert delays[:-1] == list(rules.RETRY_DELAYS_S)
    assert delays[-1] is None
    assert delays[:-1] == sorted(delays[:-1])


def test_errcodes_map_to_outcomes() -> None:
    assert rules.outcome_of_errcode(43101) is Outcome.inbox_only
    assert rules.outcome_of_errcode(40037) is Outcome.failed
    assert rules.outcome_of_errcode(-1) is Outcome.retry
    assert rules.outcome_of_errcode(45009) is Outcome.retry


def test_each_grant_allows_one_message_oldest_first() -> None:
    wanted = [(3, 7, "t1"), (1, 7, "t1"), (2, 8, "t1"), (4, 7, "t2")]
    assert rules.allocate_grants(wanted, {(7, "t1"): 1, (8, "t1"): 5}) == {1, 2}
    assert rules.allocate_grants(wanted, {}) == set()
