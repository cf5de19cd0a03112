"""Alert rules without I/O: which thresholds an admin may set, the province a batch belongs to."""

from __future__ import annotations

import pytest

from backend.alerts import rules
from schemas.alerts import Compare, ThresholdUnit


@pytest.mark.parametrize(
    ("compare", "unit", "value", "red_value", "ok"),
    [
        (Compare.at_least, ThresholdUnit.fen, 1_000_000, 2_000_000, True),
        (Compare.at_least, ThresholdUnit.fen, 1_000_000, 1_000_000, False),
        (Compare.at_least, ThresholdUnit.fen, 1_000_000, 999_999, False),
        (Compare.below, ThresholdUnit.percent, 110, 100, True),
        (Compare.below, ThresholdUnit.percent, 100, 100, False),
        (Compare.at_least, ThresholdUnit.percent, 50, 1000, True),
        (Compare.at_least, ThresholdUnit.percent, 50, 1001, False),
        (Compare.flag, None, 1, 2, False),
    ],
)
def test_threshold_problem(compare: Compare, unit: ThresholdUnit | None, value: int, red_value: int, ok: bool) -> None:
    problem = rules.threshold_problem(compare, unit, value, red_value)
    assert (problem is None) is ok
    if problem:
        assert problem.isprintable() and not problem.isascii()  # Chinese for the admin


@pytest.mark.parametrize(("region", "province"), [("450102000000", "450000000000"), ("450102001001", "450000000000")])
def test_province_of(region: str, province: str) -> None:
    assert rules.province_of(region) == province
