"""The rules a risk-elimination case (DOMAIN §5 step 10) adds to the workflow table in `rules`:
who may propose it and from when. Pure: no I/O."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from backend.applications import errors

if TYPE_CHECKING:
    from backend.applications.rules import Attempt, CaseFacts


def months_later(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later, or that month's last day when it has none
    (民法典 第二百零二条: 没有对应日的，月末日为期间的最后一日)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def eligible_from(monitored_since: dt.date, months: int) -> dt.date:
    """The first local date a household monitored since `monitored_since` (the county approval's
    date) may be proposed for risk elimination. The approval day does not count and the period
    ends at 24:00 of the corresponding day (民法典 第二百零一、二百零二条), so approved 2025-05-12
    and 6 months → the period runs through 2025-11-12 and the proposal is possible from 11-13."""
    return months_later(monitored_since, months) + dt.timedelta(days=1)


def household_monitored(case: CaseFacts, attempt: Attempt) -> None:
    if not case.household_monitored:
        raise errors.HouseholdNotMonitored()


def actor_is_households_helper(case: CaseFacts, attempt: Attempt) -> None:
    """Only the household's responsible helper (帮扶责任人) proposes its risk elimination."""
    if case.household_helper_user_id != attempt.actor.user_id:
        raise errors.NotHouseholdsHelper()


def monitored_long_enough(case: CaseFacts, attempt: Attempt) -> None:
    if case.eligible_from is None:
        raise errors.MonitoringStartUnknown()
    if attempt.today < case.eligible_from:
        raise errors.MonitoredTooShort.until(case.eligible_from)
