import pytest

from backend.regions.rules import invalid_code_reason, parent_code, region_level, region_prefix
from schemas.regions import RegionLevel


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("450000000000", RegionLevel.province, None),
        ("450100000000", RegionLevel.city, "450000000000"),
        ("450102000000", RegionLevel.county, "450100000000"),
        ("450102001000", RegionLevel.township, "450102000000"),
        ("450102001201", RegionLevel.village, "450102001000"),
    ],
)
def test_level_and_parent_come_from_the_code(code: str, level: RegionLevel, parent: str | None) -> None:
    assert region_level(code) is level
    assert parent_code(code) == parent
    assert invalid_code_reason(code) is None


def test_prefix_is_the_significant_part() -> None:
    assert region_prefix("450102001000") == "450102001"
    assert region_prefix("450102001201") == "450102001201"


@pytest.mark.parametrize(
    "code",
    [
        "45010200100",  # 11 digits
        "45010200100x",
        "000000000000",  # no province
        "450000000001",  # a village straight under a province
        "450100001000",  # a township with a zero county segment
    ],
)
def test_codes_that_cannot_name_a_region(code: str) -> None:
    assert invalid_code_reason(code)
