"""The matrix rows of consumption assistance: orders at each step, union budgets, suppliers and
their certification, benefit links and products."""

from __future__ import annotations

from typing import Any

from schemas.base import Role
from tests.foundation.authz.objects import order, pending_supplier, product_of, supplier_of
from tests.foundation.authz.op import Build, Op, one
from tests.foundation.authz.scene import GLOBAL, ORDER, SUPPLIER, Scene, Spot
from tests.orders.conftest import THIS_YEAR


def in_state(state: str, *, needs_approval: bool = False) -> Build:
    async def make(scene: Scene, spot: Spot) -> int:
        return await order(scene, spot, state, needs_approval=needs_approval)

    return one("order_id", make)


async def _supplier(scene: Scene, spot: Spot) -> int:
    return supplier_of(scene, spot)


async def _product(scene: Scene, spot: Spot) -> int:
    return product_of(scene, spot)


async def _recommendable(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"supplier_id": await pending_supplier(scene, spot), "action": "recommend"}


async def _budget(scene: Scene, spot: Spot) -> dict[str, Any]:
    return {"union_id": scene.market.union_a, "year": THIS_YEAR}


SHIPMENT = {"carrier": "中国邮政", "tracking_no": "YZ1234567890"}
AWAITING_APPROVAL = in_state("submitted", needs_approval=True)
SUPPLIER_ID = one("supplier_id", _supplier)

OPS: dict[str, Op] = {
    # orders (backend/orders/routes.py): county staff read those of their county's suppliers
    "GetOrder": Op(in_state("submitted"), Role.union_buyer, spots=ORDER, admin_acts=True),
    "ApproveOrder": Op(AWAITING_APPROVAL, Role.union_approver, {}, spots=ORDER),
    "RejectOrder": Op(AWAITING_APPROVAL, Role.union_approver, {"reason": "超出本季度采购计划"}, spots=ORDER),
    "ConfirmOrder": Op(in_state("submitted"), Role.supplier, {}, spots=ORDER),
    "ShipOrder": Op(in_state("confirmed"), Role.supplier, SHIPMENT, spots=ORDER),
    "ReceiveOrder": Op(in_state("shipped"), Role.union_buyer, {"note": "货已收到，数量无误。"}, spots=ORDER),
    "SettleOrder": Op(in_state("received"), Role.union_buyer, {}, spots=ORDER),
    "CancelOrder": Op(in_state("submitted"), Role.union_buyer, {"reason": "活动取消"}, spots=ORDER),
    # a union's yearly budget is the admin's to set
    "PutUnionBudget": Op(_budget, Role.admin, {"budget_fen": 2_000_000}, spots=GLOBAL, admin_acts=True),
    # suppliers (backend/suppliers/routes.py)
    "GetSupplier": Op(SUPPLIER_ID, Role.county, spots=SUPPLIER, admin_acts=True),
    "StepSupplierCertification": Op(_recommendable, Role.county, {}, spots=SUPPLIER),
    "ListBenefitLinks": Op(SUPPLIER_ID, Role.supplier, spots=SUPPLIER, admin_acts=True),
    "UpdateProduct": Op(one("product_id", _product), Role.supplier, {"price_fen": 6_100}, spots=SUPPLIER),
}
