"""Order rules as data (DOMAIN §8): the transition table, its guards, who sees which order, the
ship-by date and who is told of each step. No I/O here."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from dataclasses import dataclass

from backend.auth import Principal
from backend.orders import errors
from schemas.base import Role
from schemas.notifications import NotificationEvent
from schemas.orders import OrderAction, OrderState

S, A = OrderState, OrderAction
UNION_ROLES = frozenset({Role.union_buyer, Role.union_approver})
# 发货时限: 7 days after the order unless buyer and supplier agreed 15 or 30 (832 platform practice).
DEFAULT_SHIP_BY_DAYS = 7
# States in which the order holds stock and counts against the union's budget.
LIVE_STATES = frozenset({S.submitted, S.approved, S.confirmed, S.shipped, S.received, S.settled})
# States before shipping: still waiting on the supplier, so a passed ship-by date is overdue.
UNSHIPPED_STATES = frozenset({S.submitted, S.approved, S.confirmed})
# Spent (the figures' 已支出): the union accepted delivery — the purchase that counts toward its
# reserved share and per-member amount. Orders on their way are in progress, not spent.
SPENT_STATES = frozenset({S.received, S.settled})
IN_PROGRESS_STATES = LIVE_STATES - SPENT_STATES


@dataclass(frozen=True)
class OrderFacts:
    state: OrderState
    needs_approval: bool


Guard = Callable[[OrderFacts], None]


def approval_needed(facts: OrderFacts) -> None:
    if not facts.needs_approval:
        raise errors.ApprovalNotNeeded()


def approval_not_pending(facts: OrderFacts) -> None:
    if facts.needs_approval:
        raise errors.AwaitingApproval()


@dataclass(frozen=True)
class Move:
    to_state: OrderState
    guard: Guard | None = None
    releases: bool = False  # gives the stock and the budget back


# (state, action) → (roles that may act, move). Anything not here is a 409.
TRANSITIONS: dict[tuple[OrderState, OrderAction], tuple[frozenset[Role], Move]] = {
    (S.submitted, A.approve): (frozenset({Role.union_approver}), Move(S.approved, approval_needed)),
    (S.submitted, A.reject): (frozenset({Role.union_approver}), Move(S.rejected, approval_needed, True)),
    (S.submitted, A.confirm): (frozenset({Role.supplier}), Move(S.confirmed, approval_not_pending)),
    (S.approved, A.confirm): (frozenset({Role.supplier}), Move(S.confirmed)),
    (S.confirmed, A.ship): (frozenset({Role.supplier}), Move(S.shipped)),
    (S.shipped, A.receive): (frozenset({Role.union_buyer}), Move(S.received)),
    (S.received, A.settle): (UNION_ROLES, Move(S.settled)),
    **{
        (state, A.cancel): (frozenset({Role.union_buyer}), Move(S.cancelled, None, True))
        for state in (S.submitted, S.approved, S.confirmed)
    },
}

# Who may act on an order at all, whatever its state (a 403 before the state is looked at).
ACTORS: dict[OrderAction, frozenset[Role]] = {}
for (_state, _action), (_roles, _move) in TRANSITIONS.items():
    ACTORS[_action] = ACTORS.get(_action, frozenset()) | _roles


def find_move(state: OrderState, action: OrderAction, role: Role, facts: OrderFacts) -> Move:
    """The move `role` makes with `action` from `state`, or the refusal naming why."""
    if role not in ACTORS.get(action, frozenset()):
        raise errors.RoleMayNotAct()
    entry = TRANSITIONS.get((state, action))
    if entry is None:
        raise errors.OrderActionNotAllowed.for_state(state, action)
    roles, move = entry
    if role not in roles:
        raise errors.RoleMayNotAct()
    if move.guard is not None:
        move.guard(facts)
    return move


# Who is told (DOMAIN §9): the union's approvers of an order waiting for them, the supplier of a
# new order it can act on, the buyer of its progress.
class Audience:
    approver = "approver"
    supplier = "supplier"
    buyer = "buyer"


def notifications_for(action: OrderAction, needs_approval: bool) -> list[tuple[str, NotificationEvent]]:
    if action is A.submit and needs_approval:
        return [(Audience.approver, NotificationEvent.order_awaiting_approval)]
    if action in (A.submit, A.approve):
        return [(Audience.supplier, NotificationEvent.order_new)]
    if action is A.confirm:
        return [(Audience.buyer, NotificationEvent.order_confirmed)]
    if action is A.ship:
        return [(Audience.buyer, NotificationEvent.order_shipped)]
    return []


def ship_by(submitted_on: dt.date, days: int) -> dt.date:
    return submitted_on + dt.timedelta(days=days)


def is_overdue(state: OrderState, ship_by_date: dt.date, today: dt.date) -> bool:
    return state in UNSHIPPED_STATES and today > ship_by_date


def needs_approval(total_fen: int, threshold_fen: int) -> bool:
    """Above the union's threshold an approver must approve (a threshold of 0 means every order)."""
    return total_fen > threshold_fen


# ---- scope: who sees which order ----


@dataclass(frozen=True)
class OrderScope:
    """SQL parameters of the scoped order queries: one of them narrows, None means any."""

    union_id: int | None
    supplier_id: int | None
    region_like: str  # county staff: suppliers of their county


def states(group: frozenset[OrderState]) -> list[str]:
    """A state group as the text[] parameter of a query, in a stable order."""
    return sorted(state.value for state in group)


def order_scope(principal: Principal) -> OrderScope:
    if principal.role in UNION_ROLES:
        return OrderScope(principal.union_id or -1, None, "%")
    if principal.role is Role.supplier:
        return OrderScope(None, principal.supplier_id or -1, "%")
    if principal.role in (Role.county, Role.admin):
        return OrderScope(None, None, principal.region_like)
    raise errors.RoleMayNotAct()


def yuan(fen: int) -> str:
    """Fen as yuan for a message a person reads: 123456 → 1,234.56."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def fen_to_yuan(fen: int) -> decimal.Decimal:
    """Fen as an exact yuan number for a spreadsheet cell: 123456 → 1234.56."""
    return decimal.Decimal(fen).scaleb(-2)


def share_of(total_fen: int, pct: int) -> int:
    """pct % of an amount in fen, rounded half up to the fen."""
    return (total_fen * pct + 50) // 100


def progress_pct(done_fen: int, target_fen: int | None) -> float | None:
    """How far toward a target, in percent with one decimal; None when there is no target."""
    if not target_fen:
        return None
    return round(done_fen * 100 / target_fen, 1)


@dataclass(frozen=True)
class FigureScope:
    """Which unions' figures a caller reads: one union, or the unions of a region."""

    union_id: int | None
    region_like: str


def union_figure_scope(principal: Principal) -> FigureScope:
    """A buyer or approver its own union; county-role users the unions of their region (the
    province all of its own); an admin all. Suppliers and others read no union's budget."""
    if principal.role in UNION_ROLES:
        return FigureScope(principal.union_id or -1, "%")
    if principal.role in (Role.county, Role.admin):
        return FigureScope(None, principal.region_like)
    raise errors.RoleMayNotAct()


def benefit_scope(principal: Principal) -> OrderScope:
    """Benefit links name registry households: a supplier reads its own, county staff those of their
    county's suppliers, the province and admins all; unions read none."""
    if principal.role in UNION_ROLES:
        raise errors.RoleMayNotAct()
    return order_scope(principal)
