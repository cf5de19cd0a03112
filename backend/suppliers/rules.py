"""Supplier rules as data (DOMAIN §8): the certification transition table (帮扶产品认定: apply →
county recommends → province certifies), who certifies, benefit links' income kind, reminders."""

from __future__ import annotations

from collections.abc import Callable

from backend.auth import Principal
from backend.regions.rules import region_level
from backend.suppliers import errors
from schemas.base import Role
from schemas.regions import RegionLevel
from schemas.suppliers import BenefitKind, CertificationAction, CertificationStatus

S, A = CertificationStatus, CertificationAction
# Certification-expiry reminders: 90, 30 and 7 days before (832 platform practice), each sent once.
REMINDER_DAYS_BEFORE = (90, 30, 7)
REMINDER_HORIZON_DAYS = max(REMINDER_DAYS_BEFORE)


def is_recommender(principal: Principal) -> bool:
    """County staff recommend the suppliers of their county."""
    return principal.role is Role.county


def is_certifier(principal: Principal) -> bool:
    """The province (a county-role user scoped to a province) or an admin certifies."""
    if principal.role is Role.admin:
        return True
    return (
        principal.role is Role.county
        and principal.region_code is not None
        and region_level(principal.region_code) is RegionLevel.province
    )


def is_the_supplier(principal: Principal) -> bool:
    return principal.role is Role.supplier


Who = Callable[[Principal], bool]

# (status, action) → (who may act, next status). Anything not here is a 409.
TRANSITIONS: dict[tuple[CertificationStatus, CertificationAction], tuple[Who, CertificationStatus]] = {
    (S.pending, A.recommend): (is_recommender, S.recommended),
    (S.pending, A.reject): (is_recommender, S.rejected),
    (S.recommended, A.certify): (is_certifier, S.certified),
    (S.recommended, A.reject): (is_certifier, S.rejected),
    (S.certified, A.suspend): (is_certifier, S.suspended),
    (S.suspended, A.reinstate): (is_certifier, S.certified),
    (S.rejected, A.reapply): (is_the_supplier, S.pending),
}
NEEDS_REASON = frozenset({A.reject, A.suspend})


def find_move(
    status: CertificationStatus, action: CertificationAction, principal: Principal
) -> CertificationStatus:
    entry = TRANSITIONS.get((status, action))
    if entry is None:
        raise errors.CertificationActionNotAllowed.for_status(status, action)
    who, to_status = entry
    if not who(principal):
        raise errors.RoleMayNotAct()
    return to_status


# Where a benefit link's money sits in the household's income record (household_incomes columns).
INCOME_KIND = {
    BenefitKind.employment: "wage",  # 工资性收入
    BenefitKind.purchase_contract: "business",  # 经营性收入: its produce sold
    BenefitKind.dividend: "property",  # 财产性收入
}


def reminder_due(days_left: int) -> int | None:
    """The reminder a certificate expiring in `days_left` days is due (the tightest threshold it is
    within), or None outside all of them. A day the cron missed is made up the next day; a
    threshold already passed when the certificate was granted is not sent late."""
    for days_before in sorted(REMINDER_DAYS_BEFORE):
        if 0 <= days_left <= days_before:
            return days_before
    return None
