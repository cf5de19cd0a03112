"""Notification events (DOMAIN §9) and inbox types."""

from __future__ import annotations

import datetime as dt
import enum

from schemas.base import BaseStruct


class NotificationEvent(enum.StrEnum):
    application_received = "application_received"
    application_returned = "application_returned"  # 退回补充材料
    application_in_notice = "application_in_notice"  # 公示中
    application_approved = "application_approved"
    application_rejected = "application_rejected"
    risk_eliminated = "risk_eliminated"
    case_waiting = "case_waiting"  # a case now waits for this staff user's action
    helper_assigned = "helper_assigned"
    visit_due = "visit_due"
    visit_overdue = "visit_overdue"
    alert_assigned = "alert_assigned"
    order_confirmed = "order_confirmed"
    order_shipped = "order_shipped"
    order_new = "order_new"


class NotificationDraft(BaseStruct):
    """What a service asks to be sent; `notify()` writes one outbox row per recipient."""

    event: NotificationEvent
    title: str
    body: str
    page: str | None = None
    data: dict[str, str] = {}


class Notification(BaseStruct):
    id: int
    event: NotificationEvent
    title: str
    body: str
    created_at: dt.datetime
    page: str | None = None
    data: dict[str, str] = {}
    read_at: dt.datetime | None = None
