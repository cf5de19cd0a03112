"""Consumption-assistance orders (DOMAIN §8): the catalogue, carts, orders and their steps, figures."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Literal

from msgspec import Meta

from schemas.base import SINGLE_LINE, BaseStruct, Fen, Id, PageMeta

Quantity = Annotated[int, Meta(gt=0, le=1_000_000, description="数量，按商品的计量单位")]
Text = Annotated[str, Meta(max_length=500)]
Reason = Annotated[str, Meta(min_length=1, max_length=500)]
ShipByDays = Literal[7, 15, 30]  # 7 days by default, 15 or 30 by agreement (832 platform practice)


class OrderState(enum.StrEnum):
    submitted = "submitted"  # stock reserved, budget committed
    approved = "approved"  # by the union's approver, when above its threshold
    confirmed = "confirmed"  # by the supplier
    shipped = "shipped"
    received = "received"  # the buyer accepted delivery
    settled = "settled"
    cancelled = "cancelled"
    rejected = "rejected"


class OrderAction(enum.StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    confirm = "confirm"
    ship = "ship"
    receive = "receive"
    settle = "settle"
    cancel = "cancel"


class CartLine(BaseStruct):
    product_id: Id
    quantity: Quantity


class OrderSubmit(BaseStruct):
    """A cart of one supplier's products."""

    lines: Annotated[list[CartLine], Meta(min_length=1, max_length=50)]
    ship_by_days: ShipByDays = 7
    note: Text = ""


class OrderLine(BaseStruct):
    product_id: int
    product_name: str
    unit: str
    quantity: int
    price_fen: int
    amount_fen: int


class OrderEvent(BaseStruct):
    action: OrderAction
    to_state: OrderState
    actor_role: str
    at: dt.datetime
    from_state: OrderState | None = None
    comment: str = ""


class Order(BaseStruct):
    id: int
    union_id: int
    union_name: str
    supplier_id: int
    supplier_name: str
    state: OrderState
    total_fen: int
    needs_approval: bool
    ship_by_days: int
    ship_by: dt.date
    overdue: bool  # not shipped and past its ship-by date
    submitted_at: dt.datetime
    version: int
    lines: list[OrderLine] = []
    events: list[OrderEvent] = []
    carrier: str | None = None
    tracking_no: str | None = None
    acceptance_note: str | None = None
    reason: str | None = None
    note: str = ""


class OrderSummary(BaseStruct):
    id: int
    union_name: str
    supplier_name: str
    state: OrderState
    total_fen: int
    ship_by: dt.date
    overdue: bool
    submitted_at: dt.datetime


class OrderPage(BaseStruct):
    items: list[OrderSummary]
    meta: PageMeta


class StepNote(BaseStruct):
    version: int | None = None  # what the actor saw; another current version → 409


class OrderReject(BaseStruct):
    reason: Reason
    version: int | None = None


class OrderCancel(BaseStruct):
    reason: Reason
    version: int | None = None


class Shipment(BaseStruct):
    carrier: Annotated[str, Meta(min_length=1, max_length=50, pattern=SINGLE_LINE)]
    tracking_no: Annotated[str, Meta(min_length=4, max_length=40, pattern=r"^[A-Za-z0-9-]+$(?!\n)")]
    version: int | None = None


class Acceptance(BaseStruct):
    note: Annotated[str, Meta(min_length=1, max_length=500)]
    photo_ids: Annotated[list[Id], Meta(max_length=9)] = []
    version: int | None = None


class BudgetUpdate(BaseStruct):
    """A union's year: its budget and what its figures are measured against."""

    budget_fen: Fen
    food_procurement_fen: Fen = 0  # the food procurement total its budget units stated
    reserved_share_pct: Annotated[int, Meta(ge=0, le=100)] = 10  # 预留份额: at least 10 %, 15 % encouraged
    per_member_fen: Fen | None = None  # a yearly amount per member, where the province sets one
    member_count: Annotated[int, Meta(ge=0, le=10_000_000)] | None = None


# ---- figures (backend/orders/figures.py; docs/orders.md "Figures" says what counts) ----


class UnionFigures(BaseStruct):
    """A union's year: its budget, what its orders took, and progress toward its reserved share and
    per-member amount. Committed = live orders (submitted … settled); spent = received or settled."""

    union_id: int
    union_name: str
    year: int
    budget_fen: int
    committed_fen: int
    remaining_fen: int  # budget − committed
    spent_fen: int
    settled_fen: int
    orders: int  # live orders
    food_procurement_fen: int  # the food procurement total its budget units stated
    reserved_share_pct: int
    reserved_target_fen: int  # reserved_share_pct of food_procurement_fen
    reserved_progress_pct: float | None = None  # spent / reserved target; None without a target
    per_member_fen: int | None = None  # the yearly amount per member, when the union sets one
    member_count: int | None = None
    per_member_target_fen: int | None = None  # per-member amount × members
    spent_per_member_fen: int | None = None  # spent ÷ members, rounded down
    per_member_progress_pct: float | None = None


class SupplierSales(BaseStruct):
    supplier_id: int
    supplier_name: str
    county_code: str
    county_name: str
    orders: int  # received or settled
    amount_fen: int  # received or settled
    in_progress_fen: int  # submitted, approved, confirmed or shipped


class CountySales(BaseStruct):
    """Sales by the origin county of the products (an order's lines may come from several)."""

    county_code: str
    county_name: str
    orders: int
    amount_fen: int
    in_progress_fen: int


class SupplierSalesFigures(BaseStruct):
    year: int
    rows: list[SupplierSales]


class CountySalesFigures(BaseStruct):
    year: int
    rows: list[CountySales]


class HouseholdBenefit(BaseStruct):
    """What suppliers report paying a household in the year through benefit links (利益联结), and
    what its income record carries for them as marked consumption-assistance lines."""

    household_id: int
    household_no: str
    village_code: str
    village_name: str
    suppliers: str  # names, joined with 、
    purchase_contract_fen: int
    employment_fen: int
    dividend_fen: int
    total_fen: int
    income_record_fen: int  # the marked lines in the household's income record for these links


class HouseholdBenefitPage(BaseStruct):
    year: int
    items: list[HouseholdBenefit]
    meta: PageMeta
