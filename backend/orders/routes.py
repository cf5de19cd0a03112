"""Order endpoints for union buyers and approvers, suppliers and county staff. Thin:
the service checks role, scope and the transition table."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, Router, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, Parameter, QueryParameter
from litestar.response import Stream

from backend.auth import utcnow
from backend.calendar.rules import local_date
from backend.deps import Caller, Conn, LimiterDep, PageParam, PathId, RedisDep
from backend.errors import responses
from backend.http import LOCATION, created
from backend.notifications.service import enqueue_delivery
from backend.orders import budgets, errors, figures, reads, service
from backend.orders.service import Done, Step
from backend.ratelimit.rules import Action as Limited
from backend.tabular.xlsx import XLSX_MEDIA_TYPE, xlsx_chunks, xlsx_stream_download
from schemas.orders import (
    Acceptance,
    BudgetUpdate,
    CountySalesFigures,
    HouseholdBenefitPage,
    Order,
    OrderAction,
    OrderCancel,
    OrderPage,
    OrderReject,
    OrderState,
    OrderSubmit,
    Shipment,
    StepNote,
    SupplierSalesFigures,
    UnionFigures,
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


# ---- figures (the year defaults to this one, China's local date) ----

Year = Annotated[int | None, QueryParameter(ge=2014, le=2100, description="预算年度，默认今年")]
FIGURES = {"responses": responses(errors.RoleMayNotAct)}
EXPORT = FIGURES | {"media_type": XLSX_MEDIA_TYPE}


def _year(year: int | None) -> int:
    return year or local_date(utcnow()).year


@get("/orders/figures/unions", operation_id="ListUnionFigures", **FIGURES)
async def list_union_figures(conn: Conn, principal: Caller, year: Year = None) -> list[UnionFigures]:
    """Per union: budget, committed, spent, and progress toward its reserved share and per-member amount."""
    return await figures.list_union_figures(conn, principal, _year(year))


@get("/orders/figures/unions.xlsx", operation_id="ExportUnionFigures", **EXPORT)
async def export_union_figures(conn: Conn, principal: Caller, year: Year = None) -> Stream:
    the_year = _year(year)
    pages = figures.union_pages(await figures.list_union_figures(conn, principal, the_year))
    return xlsx_stream_download(xlsx_chunks("工会消费帮扶", figures.UNIONS_HEADER, pages), f"工会消费帮扶-{the_year}.xlsx")


@get("/orders/figures/suppliers", operation_id="GetSupplierSales", **FIGURES)
async def get_supplier_sales(conn: Conn, principal: Caller, year: Year = None) -> SupplierSalesFigures:
    return await figures.get_supplier_sales(conn, principal, _year(year))


@get("/orders/figures/suppliers.xlsx", operation_id="ExportSupplierSales", **EXPORT)
async def export_supplier_sales(conn: Conn, principal: Caller, year: Year = None) -> Stream:
    sales = await figures.get_supplier_sales(conn, principal, _year(year))
    pages = figures.supplier_pages(sales)
    return xlsx_stream_download(xlsx_chunks("供应商销售", figures.SUPPLIERS_HEADER, pages), f"供应商销售-{sales.year}.xlsx")


@get("/orders/figures/counties", operation_id="GetCountySales", **FIGURES)
async def get_county_sales(conn: Conn, principal: Caller, year: Year = None) -> CountySalesFigures:
    """Sales per origin county of the products."""
    return await figures.get_county_sales(conn, principal, _year(year))


@get("/orders/figures/counties.xlsx", operation_id="ExportCountySales", **EXPORT)
async def export_county_sales(conn: Conn, principal: Caller, year: Year = None) -> Stream:
    sales = await figures.get_county_sales(conn, principal, _year(year))
    pages = figures.county_pages(sales)
    return xlsx_stream_download(xlsx_chunks("产地县销售", figures.COUNTIES_HEADER, pages), f"产地县销售-{sales.year}.xlsx")


@get("/orders/figures/households", operation_id="ListHouseholdBenefits", **FIGURES)
async def list_household_benefits(
    conn: Conn,
    principal: Caller,
    year: Year = None,
    page: PageParam = 1,
    page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
) -> HouseholdBenefitPage:
    """Benefit-linked households (利益联结) and what their suppliers report paying them."""
    return await figures.list_household_benefits(conn, principal, _year(year), page, page_size)


@get("/orders/figures/households.xlsx", operation_id="ExportHouseholdBenefits", **EXPORT)
async def export_household_benefits(request: Request[Any, Any, Any], principal: Caller, year: Year = None) -> Stream:
    the_year = _year(year)
    pages = figures.household_pages(request.app.state.db, principal, the_year)
    return xlsx_stream_download(xlsx_chunks("利益联结农户", figures.HOUSEHOLDS_HEADER, pages), f"利益联结农户-{the_year}.xlsx")


@put(
    "/unions/{union_id:int}/budgets/{year:int}",
    operation_id="PutUnionBudget",
    responses=responses(errors.UnionNotFound, errors.BudgetBelowCommitted),
)
async def put_union_budget(
    union_id: PathId,
    year: FromPath[Annotated[int, Parameter(ge=2014, le=2100)]],
    data: JSONBody[BudgetUpdate],
    conn: Conn,
    principal: Caller,
) -> UnionFigures:
    """An admin sets a union's budget for the year, the food procurement total it is measured
    against, the reserved share (10 % by default) and an optional per-member amount."""
    return await budgets.put_budget(conn, principal, union_id, year, data)


FIGURE_ROUTES = [
    put_union_budget,
    list_union_figures, export_union_figures, get_supplier_sales, export_supplier_sales, get_county_sales,
    export_county_sales, list_household_benefits, export_household_benefits,
]
STEP_ROUTES = [approve_order, reject_order, confirm_order, ship_order, receive_order, settle_order, cancel_order]

router = Router(
    path="/api",
    route_handlers=[submit_order, list_orders, get_order, *STEP_ROUTES, *FIGURE_ROUTES],
    tags=["orders"],
)
