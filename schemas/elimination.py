"""Risk elimination wire types (DOMAIN §5 step 10): the helper's proposal with its income evidence
and the daily list of households that may now leave monitoring."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct, Fen, Id, PageMeta

MemberCount = Annotated[int, Meta(ge=1, le=99, description="家庭人口数")]


class EliminationProposal(BaseStruct):
    """风险消除: the household's responsible helper proposes it with the household's figures for the
    last twelve months. Photos are uploaded to the case (owner kind `application`) once it exists."""

    household_id: Id
    member_count: MemberCount
    net_income_fen: Fen  # 家庭年纯收入
    rigid_expense_fen: Fen  # 刚性支出: medical, schooling, disaster
    note: Annotated[str, Meta(min_length=1, max_length=2000, description="收入稳定、两不愁三保障和饮水安全的情况")]


class EliminationCandidate(BaseStruct):
    """A monitored household whose latest visits meet the elimination criteria, for its helper to
    consider; it is never proposed by itself."""

    household_id: int
    household_no: str
    village_code: str
    village_name: str
    monitored_since: dt.date
    eligible_from: dt.date
    latest_visit_id: int
    latest_visited_at: dt.datetime
    member_count: int
    per_capita_fen: int  # latest visit: (net income − rigid expenses) / members
    previous_per_capita_fen: int  # the visit before
    monitoring_line_fen: int
    first_listed_on: dt.date
    refreshed_at: dt.datetime
    head_name: str | None = None
    helper_user_id: int | None = None


class EliminationCandidatePage(BaseStruct):
    items: list[EliminationCandidate]
    meta: PageMeta
