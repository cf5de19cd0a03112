"""Supplier errors; each class name is the API's error code."""

from __future__ import annotations

from backend.errors import Conflict, Forbidden, NotFound, Unprocessable
from schemas.suppliers import CertificationAction, CertificationStatus

STATUS_LABELS = {
    CertificationStatus.pending: "待推荐",
    CertificationStatus.recommended: "已推荐待认定",
    CertificationStatus.certified: "已认定",
    CertificationStatus.rejected: "未通过认定",
    CertificationStatus.suspended: "已暂停",
    CertificationStatus.revoked: "已撤销",
}
ACTION_VERBS = {
    CertificationAction.recommend: "推荐",
    CertificationAction.certify: "认定",
    CertificationAction.reject: "不予通过",
    CertificationAction.suspend: "暂停",
    CertificationAction.reinstate: "恢复",
    CertificationAction.reapply: "重新申请",
}


class SupplierNotFound(NotFound):
    message = "没有找到这家供应商"


class ProductNotFound(NotFound):
    message = "没有找到这件商品"


class HouseholdNotFound(NotFound):
    message = "没有找到这户，请核对户编号"


class RoleMayNotAct(Forbidden):
    message = "您的岗位不能办理这一步"


class CertificationActionNotAllowed(Conflict):
    message = "供应商当前的认定状态不能办理这一步"

    @classmethod
    def for_status(cls, status: CertificationStatus, action: CertificationAction) -> CertificationActionNotAllowed:
        return cls(f"供应商当前为“{STATUS_LABELS[status]}”，不能{ACTION_VERBS[action]}")


class InvalidCreditCode(Unprocessable):
    message = "统一社会信用代码校验不通过，请核对后重新填写"


class SupplierAlreadyRegistered(Conflict):
    message = "这个统一社会信用代码已经登记过"


class CountyNotPovertyRelieved(Unprocessable):
    message = "供应商所在地须为脱贫县"


class NotACounty(Unprocessable):
    message = "请选择县级行政区"


class ExpiryRequired(Unprocessable):
    message = "认定时须填写认定有效期（到期日须晚于今天）"


class ReasonRequired(Unprocessable):
    message = "请填写供应商能看懂的原因"


class StockWouldGoNegative(Conflict):
    message = "出库数量超过现有库存"


class HouseholdNotLinkable(Unprocessable):
    message = "利益联结的农户须为脱贫户或监测对象"


CERTIFY_ERRORS = (
    SupplierNotFound,
    RoleMayNotAct,
    CertificationActionNotAllowed,
    ExpiryRequired,
    ReasonRequired,
)
