"""Order errors; each class name is the API's error code."""

from __future__ import annotations

from backend.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from backend.ratelimit.errors import RateLimited
from schemas.orders import OrderAction, OrderState

STATE_LABELS = {
    OrderState.submitted: "已提交",
    OrderState.approved: "已审批",
    OrderState.confirmed: "供应商已确认",
    OrderState.shipped: "已发货",
    OrderState.received: "已验收",
    OrderState.settled: "已结算",
    OrderState.cancelled: "已取消",
    OrderState.rejected: "审批未通过",
}
ACTION_VERBS = {
    OrderAction.submit: "提交订单",
    OrderAction.approve: "审批通过",
    OrderAction.reject: "审批不通过",
    OrderAction.confirm: "确认订单",
    OrderAction.ship: "发货",
    OrderAction.receive: "验收",
    OrderAction.settle: "结算",
    OrderAction.cancel: "取消订单",
}


class OrderNotFound(NotFound):
    message = "没有找到这份订单"


class RoleMayNotAct(Forbidden):
    message = "您的岗位不能办理这一步"


class OrderActionNotAllowed(Conflict):
    message = "订单当前的状态不能办理这一步"

    @classmethod
    def for_state(cls, state: OrderState, action: OrderAction) -> OrderActionNotAllowed:
        return cls(f"订单当前为“{STATE_LABELS[state]}”，不能{ACTION_VERBS[action]}")


class ApprovalNotNeeded(Conflict):
    message = "这份订单未超过本工会的审批额度，不需要审批"


class AwaitingApproval(Conflict):
    message = "这份订单超过审批额度，须经工会审批后才能确认"


class StaleVersion(Conflict):
    message = "订单已被他人处理，请刷新后再试"


class ProductUnavailable(Conflict):
    message = "有商品已下架或供应商未通过认定，请从购物车中移除后再提交"


class OutOfStock(Conflict):
    message = "商品库存不足"

    @classmethod
    def for_product(cls, name: str, stock: int, unit: str) -> OutOfStock:
        return cls(f"“{name}”库存不足，目前仅剩 {stock} {unit}，请减少数量后再提交")


class BudgetExceeded(Conflict):
    message = "超出本工会本年度消费帮扶预算"

    @classmethod
    def remaining(cls, remaining_yuan: str, total_yuan: str) -> BudgetExceeded:
        return cls(f"本订单金额 {total_yuan} 元，超出本工会本年度消费帮扶预算，预算仅剩 {remaining_yuan} 元")


class NoBudgetForYear(Conflict):
    message = "本工会本年度尚未设置消费帮扶预算，请联系管理员"


class MixedSuppliers(Unprocessable):
    message = "一份订单只能包含同一家供应商的商品，请分开下单"


class DuplicateCartLine(Unprocessable):
    message = "同一商品在订单中出现了两次，请合并数量"


class BelowMinimumOrder(Unprocessable):
    message = "购买数量低于商品的起订量"

    @classmethod
    def for_product(cls, name: str, min_order: int, unit: str) -> BelowMinimumOrder:
        return cls(f"“{name}”起订量为 {min_order} {unit}，请增加数量")


class PhotoNotOnOrder(Unprocessable):
    message = "有照片不属于这份订单，请重新上传"


class IdempotencyKeyRequired(BadRequest):
    message = "提交时缺少请求编号（Idempotency-Key），请重试"


class IdempotencyKeyReused(Unprocessable):
    message = "同一请求编号已用于另一份不同的订单，请重新提交"


class UnionNotFound(NotFound):
    message = "没有找到这个工会"


# What any order step can answer besides its own guards.
STEP_ERRORS = (OrderNotFound, RoleMayNotAct, OrderActionNotAllowed, StaleVersion)
SUBMIT_ERRORS = (
    RateLimited,
    IdempotencyKeyRequired,
    IdempotencyKeyReused,
    RoleMayNotAct,
    ProductUnavailable,
    OutOfStock,
    BudgetExceeded,
    NoBudgetForYear,
    MixedSuppliers,
    DuplicateCartLine,
    BelowMinimumOrder,
)
