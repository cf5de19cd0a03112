"""Order endpoints for union buyers and approvers, suppliers and county staff. Thin:
the service checks role, scope and the transition table."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, HeaderParameter, JSONBody, QueryParameter

from backend.auth import utcnow
from backend.deps import Caller, Conn, LimiterDep, PageParam, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.notifications.service import enqueue_delivery
from backend.orders import errors, reads, service
from backend.orders.service import Done, Step
from backend.ratelimit.rules import Action as Limited
from schemas.orders import (
    Acceptance,
    Order,
    OrderAction,
    OrderCancel,
    OrderPage,
    OrderReject,
    OrderState,
    OrderSubmit,
    Shipment,
    StepNote,
)

OrderId = PathId
SAME_ORDER_AGAIN = ResponseSpec(Order, description="同一 Idempotency-Key 的重试：返回已提交的那一份，不建第二份")


async def _finish(conn: Conn, redis: RedisDep, principal: Caller, done: Done) -> Order:
    await enqueue_delivery(redis, done.notification_ids)
    return await reads.get_order(conn, principal, done.order_id, utcnow())


@post(
    "/orders",
    operation_id="SubmitOrder",
    responses={200: SAME_ORDER_AGAIN} | responses(*errors.SUBMIT_ERRORS),
    response_headers=LOCATION,
)
async def submit_order(
    data: JSONBody[OrderSubmit],
    conn: Conn,
    redis: RedisDep,
    principal: Caller,
    limiter: LimiterDep,
    idempotency_key: Annotated[
        str | None, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=100)
    ] = None,
) -> Response[Order]:
    """A union buyer submits a cart of one supplier's products: stock reserved, budget committed."""
    await limiter.check(Limited.order_submit, principal.user_id)
    if not idempotency_key:
        raise errors.IdempotencyKeyRequired()
    done = await service.submit(conn, principal, idempotency_key, data, utcnow())
    order = await _finish(conn, redis, principal, done)
    return created(order, f"/api/orders/{order.id}") if done.created else Response(order, status_code=200)


@get("/orders", operation_id="ListOrders", responses=responses(errors.RoleMayNotAct))
async def list_orders(
    conn: Conn,
    principal: Caller,
    order_state: Annotated[OrderState | None, QueryParameter(name="state")] = None,
    overdue: FromQuery[bool] = False,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
) -> OrderPage:
    return await reads.list_orders(
        conn, principal, utcnow(), state=order_state, overdue_only=overdue, page=page, page_size=page_size
    )


@get("/orders/{order_id:int}", operation_id="GetOrder", responses=responses(errors.OrderNotFound, errors.RoleMayNotAct))
async def get_order(order_id: OrderId, conn: Conn, principal: Caller) -> Order:
    return await reads.get_order(conn, principal, order_id, utcnow())


def _step(action: OrderAction, *extra: type) -> dict[str, object]:
    return {
        "operation_id": f"{action.value.capitalize()}Order",
        "responses": responses(*errors.STEP_ERRORS, *extra),
        "status_code": 200,
    }


async def _act(conn: Conn, redis: RedisDep, principal: Caller, order_id: int, step: Step) -> Order:
    return await _finish(conn, redis, principal, await service.act(conn, principal, order_id, step, utcnow()))


@post("/orders/{order_id:int}/approve", **_step(OrderAction.approve, errors.ApprovalNotNeeded))
async def approve_order(order_id: OrderId, data: JSONBody[StepNote], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    """工会审批通过（超过审批额度的订单）."""
    return await _act(conn, redis, principal, order_id, Step(OrderAction.approve, version=data.version))


@post("/orders/{order_id:int}/reject", **_step(OrderAction.reject, errors.ApprovalNotNeeded))
async def reject_order(order_id: OrderId, data: JSONBody[OrderReject], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    """工会审批不通过: the stock and the budget go back."""
    step = Step(OrderAction.reject, version=data.version, reason=data.reason)
    return await _act(conn, redis, principal, order_id, step)


@post("/orders/{order_id:int}/confirm", **_step(OrderAction.confirm, errors.AwaitingApproval))
async def confirm_order(order_id: OrderId, data: JSONBody[StepNote], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    return await _act(conn, redis, principal, order_id, Step(OrderAction.confirm, version=data.version))


@post("/orders/{order_id:int}/ship", **_step(OrderAction.ship))
async def ship_order(order_id: OrderId, data: JSONBody[Shipment], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    step = Step(OrderAction.ship, version=data.version, carrier=data.carrier, tracking_no=data.tracking_no)
    return await _act(conn, redis, principal, order_id, step)


@post("/orders/{order_id:int}/receive", **_step(OrderAction.receive, errors.PhotoNotOnOrder))
async def receive_order(order_id: OrderId, data: JSONBody[Acceptance], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    """验收: an acceptance note, optional photos uploaded with owner kind `order`."""
    step = Step(OrderAction.receive, version=data.version, acceptance_note=data.note, photo_ids=tuple(data.photo_ids))
    return await _act(conn, redis, principal, order_id, step)


@post("/orders/{order_id:int}/settle", **_step(OrderAction.settle))
async def settle_order(order_id: OrderId, data: JSONBody[StepNote], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    return await _act(conn, redis, principal, order_id, Step(OrderAction.settle, version=data.version))


@post("/orders/{order_id:int}/cancel", **_step(OrderAction.cancel))
async def cancel_order(order_id: OrderId, data: JSONBody[OrderCancel], conn: Conn, redis: RedisDep, principal: Caller) -> Order:
    """The buyer cancels before shipping: the stock and the budget go back."""
    step = Step(OrderAction.cancel, version=data.version, reason=data.reason)
    return await _act(conn, redis, principal, order_id, step)


STEP_ROUTES = [approve_order, reject_order, confirm_order, ship_order, receive_order, settle_order, cancel_order]

router = Router(
    path="/api",
    route_handlers=[submit_order, list_orders, get_order, *STEP_ROUTES],
    tags=["orders"],
)
