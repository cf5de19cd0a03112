"""Orders: submit (stock reserved, budget committed, idempotent) and every later step, each one
transaction with its append-only event, outbox rows and audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import asyncpg
import msgspec

from backend import audit
from backend.auth import Principal, require_role
from backend.calendar.rules import local_date
from backend.notifications.service import notify
from backend.orders import errors, queries, rules
from backend.suppliers import queries as supplier_queries
from schemas.base import Role
from schemas.notifications import NotificationDraft, NotificationEvent
from schemas.orders import CartLine, OrderAction, OrderState, OrderSubmit

_encoder = msgspec.json.Encoder(order="deterministic")


@dataclass(frozen=True)
class Done:
    order_id: int
    created: bool  # False: a retry of a submit that already happened
    notification_ids: list[int] = field(default_factory=list)  # enqueue_delivery after commit


@dataclass(frozen=True)
class Step:
    action: OrderAction
    comment: str = ""
    version: int | None = None
    carrier: str | None = None
    tracking_no: str | None = None
    acceptance_note: str | None = None
    reason: str | None = None
    photo_ids: tuple[int, ...] = ()


async def submit(
    conn: asyncpg.Connection, principal: Principal, key: str, data: OrderSubmit, now: dt.datetime
) -> Done:
    """Submit a cart. Exactly the stock there is gets sold, in any interleaving of concurrent orders;
    an order past the union's remaining budget for the year is refused with the amount left. The
    same Idempotency-Key with the same cart returns the first order; with another cart, 422."""
    require_role(principal, {Role.union_buyer})
    lines = sorted(data.lines, key=lambda line: line.product_id)  # the one lock order of every cart
    if len({line.product_id for line in lines}) != len(lines):
        raise errors.DuplicateCartLine()
    request_hash = hashlib.sha256(_encoder.encode(data)).digest()
    today = local_date(now)
    async with conn.transaction():
        # A concurrent retry with the same key waits here until the first commits or rolls back.
        if await conn.fetchval(queries.CLAIM_SUBMIT_KEY, principal.user_id, key, request_hash) is None:
            previous = await conn.fetchrow(queries.GET_SUBMIT_KEY, principal.user_id, key)
            if previous["request_hash"] != request_hash:
                raise errors.IdempotencyKeyReused()
            return Done(previous["order_id"], False)
        supplier_id = await _check_cart(conn, lines, today)
        prices = [await _reserve(conn, line) for line in lines]
        total_fen = sum(price * line.quantity for price, line in zip(prices, lines, strict=True))
        threshold_fen = await _commit_budget(conn, principal.union_id or -1, today.year, total_fen)
        approval = rules.needs_approval(total_fen, threshold_fen)
        order_id = await conn.fetchval(
            queries.INSERT_ORDER,
            principal.union_id,
            supplier_id,
            today.year,
            total_fen,
            approval,
            data.ship_by_days,
            rules.ship_by(today, data.ship_by_days),
            data.note,
            principal.user_id,
            now,
        )
        await conn.execute(
            queries.INSERT_LINES,
            order_id,
            [line.product_id for line in lines],
            [line.quantity for line in lines],
            prices,
        )
        step = Step(OrderAction.submit, comment=data.note)
        await _record(conn, principal, order_id, step, None, OrderState.submitted, now, {"total_fen": total_fen})
        ids = await _notify(conn, order_id, (principal.union_id, supplier_id), total_fen, step, approval)
        await conn.execute(queries.FINISH_SUBMIT_KEY, principal.user_id, key, order_id)
    return Done(order_id, True, ids)


async def _check_cart(conn: asyncpg.Connection, lines: list[CartLine], today: dt.date) -> int:
    """The one supplier whose products these are, each buyable and at least its minimum order."""
    rows = {r["id"]: r for r in await conn.fetch(queries.LIST_CART_PRODUCTS, [x.product_id for x in lines], today)}
    if len(rows) != len(lines) or not all(r["active"] and r["supplier_certified"] for r in rows.values()):
        raise errors.ProductUnavailable()
    if len({r["supplier_id"] for r in rows.values()}) != 1:
        raise errors.MixedSuppliers()
    for line in lines:
        product = rows[line.product_id]
        if line.quantity < product["min_order"]:
            raise errors.BelowMinimumOrder.for_product(product["name"], product["min_order"], product["unit"])
    return next(iter(rows.values()))["supplier_id"]


async def _reserve(conn: asyncpg.Connection, line: CartLine) -> int:
    """Takes the line's quantity off the stock; the product's price at that moment."""
    price = await conn.fetchval(queries.RESERVE_STOCK, line.product_id, line.quantity)
    if price is None:
        row = await conn.fetchrow(queries.GET_STOCK, line.product_id)
        raise errors.OutOfStock.for_product(row["name"], row["stock"], row["unit"])
    return price


async def _commit_budget(conn: asyncpg.Connection, union_id: int, year: int, total_fen: int) -> int:
    """Counts the order against the union's year under the budget row's lock; its approval threshold."""
    budget = await conn.fetchrow(queries.LOCK_BUDGET, union_id, year)
    if budget is None:
        raise errors.NoBudgetForYear()
    remaining = budget["budget_fen"] - budget["committed_fen"]
    if total_fen > remaining:
        raise errors.BudgetExceeded.remaining(rules.yuan(max(remaining, 0)), rules.yuan(total_fen))
    await conn.execute(queries.COMMIT_BUDGET, union_id, year, total_fen)
    return budget["approval_threshold_fen"]


async def act(conn: asyncpg.Connection, principal: Principal, order_id: int, step: Step, now: dt.datetime) -> Done:
    """Apply one step or change nothing. Out of scope → 404, a role that may not act → 403, a move
    the transition table refuses → 409 with its code. Cancel and reject give stock and budget back."""
    scope = rules.order_scope(principal)
    async with conn.transaction():
        row = await conn.fetchrow(queries.LOCK_ORDER, order_id, scope.union_id, scope.supplier_id, scope.region_like)
        if row is None:
            raise errors.OrderNotFound()
        state = OrderState(row["state"])
        facts = rules.OrderFacts(state, row["needs_approval"])
        move = rules.find_move(state, step.action, principal.role, facts)
        if step.version is not None and step.version != row["version"]:
            raise errors.StaleVersion()
        await _check_photos(conn, order_id, step.photo_ids)
        if move.releases:
            await _release(conn, row)
        await conn.execute(
            queries.UPDATE_ORDER,
            order_id,
            move.to_state.value,
            now,
            step.carrier,
            step.tracking_no,
            step.acceptance_note,
            step.reason,
        )
        data = {"photo_ids": list(step.photo_ids)} if step.photo_ids else {}
        if step.tracking_no:
            data |= {"carrier": step.carrier, "tracking_no": step.tracking_no}
        await _record(conn, principal, order_id, step, state, move.to_state, now, data)
        parties = (row["union_id"], row["supplier_id"])
        ids = await _notify(conn, order_id, parties, row["total_fen"], step, row["needs_approval"])
    return Done(order_id, False, ids)


async def _release(conn: asyncpg.Connection, order: asyncpg.Record) -> None:
    """Stock back (products in id order, as submit takes them), then the budget."""
    for line in await conn.fetch(queries.LIST_ORDER_LINES_FOR_RELEASE, order["id"]):
        await conn.execute(queries.RELEASE_STOCK, line["product_id"], line["quantity"])
    await conn.fetchrow(queries.LOCK_BUDGET, order["union_id"], order["budget_year"])
    await conn.execute(queries.COMMIT_BUDGET, order["union_id"], order["budget_year"], -order["total_fen"])


async def _check_photos(conn: asyncpg.Connection, order_id: int, photo_ids: tuple[int, ...]) -> None:
    if photo_ids and await conn.fetchval(queries.COUNT_ORDER_PHOTOS, order_id, list(set(photo_ids))) != len(
        set(photo_ids)
    ):
        raise errors.PhotoNotOnOrder()


async def _record(
    conn: asyncpg.Connection,
    principal: Principal,
    order_id: int,
    step: Step,
    from_state: OrderState | None,
    to_state: OrderState,
    now: dt.datetime,
    data: dict[str, object],
) -> None:
    comment = step.reason or step.acceptance_note or step.comment
    await conn.execute(
        queries.INSERT_EVENT,
        order_id,
        step.action.value,
        from_state.value if from_state else None,
        to_state.value,
        principal.user_id,
        principal.role.value,
        now,
        comment,
        data,
    )
    await audit.record(
        conn, principal.user_id, f"order.{step.action.value}", "order", order_id, {"to_state": to_state.value}
    )


# (action, event) → title and body of the message; {total} in yuan.
_TEXTS = {
    (OrderAction.submit, NotificationEvent.order_awaiting_approval): (
        "订单待审批", "有一份订单（{total} 元）超过本工会的审批额度，请及时审批"
    ),
    (OrderAction.submit, NotificationEvent.order_new): ("新订单", "工会提交了一份新订单（{total} 元），请及时确认"),
    (OrderAction.approve, NotificationEvent.order_new): ("新订单", "工会审批通过了一份订单（{total} 元），请及时确认"),
    (OrderAction.confirm, NotificationEvent.order_confirmed): ("订单已确认", "供应商已确认您的订单，将按约定时间发货"),
    (OrderAction.ship, NotificationEvent.order_shipped): ("订单已发货", "供应商已发货，请留意收货并验收"),
}
# Whose users an audience is: the query and which party of the order it takes.
_AUDIENCE_USERS = {
    rules.Audience.approver: (queries.APPROVER_USERS, 0),
    rules.Audience.buyer: (queries.BUYER_USERS, 0),
    rules.Audience.supplier: (supplier_queries.SUPPLIER_USERS, 1),
}


async def _notify(
    conn: asyncpg.Connection,
    order_id: int,
    parties: tuple[int | None, int],
    total_fen: int,
    step: Step,
    needs_approval: bool,
) -> list[int]:
    """Outbox rows for whom `rules.notifications_for` names: the union's approvers or buyers, or the
    supplier's users."""
    total = rules.yuan(total_fen)
    ids: list[int] = []
    for audience, event in rules.notifications_for(step.action, needs_approval):
        query, party = _AUDIENCE_USERS[audience]
        users = [r["id"] for r in await conn.fetch(query, parties[party])]
        title, body = _TEXTS[step.action, event]
        draft = NotificationDraft(
            event=event,
            title=title,
            body=body.format(total=total),
            page=f"/pages/order/detail?id={order_id}",
            data={"order_id": str(order_id), "action": step.action.value, "total": total},
        )
        ids += await notify(conn, users, draft)
    return ids
