"""Notification events (DOMAIN §9), the inbox, templates, subscribe grants and delivery status."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

from msgspec import Meta

from schemas.base import BaseStruct, PageMeta


class NotificationEvent(enum.StrEnum):
    application_received = "application_received"
    application_returned = "application_returned"  # 退回补充材料
    application_in_notice = "application_in_notice"  # 公示中
    application_approved = "application_approved"
    application_rejected = "application_rejected"
    risk_eliminated = "risk_eliminated"
    case_waiting = "case_waiting"  # a case now waits for this staff user's action
    due_date_changed = "due_date_changed"  # 办理期限调整: a provisional due date moved
    helper_assigned = "helper_assigned"
    elimination_candidates = "elimination_candidates"  # households that may now leave monitoring (inbox)
    visit_due = "visit_due"
    visit_overdue = "visit_overdue"
    alert_raised = "alert_raised"  # a department batch raised alerts on the user's households
    alert_assigned = "alert_assigned"  # alerts to verify were assigned (or a dismissal sent back)
    alert_overdue = "alert_overdue"  # the daily reminder: the assignee's overdue alerts, in one message
    alert_dismissal_waiting = "alert_dismissal_waiting"  # red dismissals wait for the county's confirmation
    order_confirmed = "order_confirmed"
    order_shipped = "order_shipped"
    order_new = "order_new"
    order_awaiting_approval = "order_awaiting_approval"  # an order above the threshold waits for the union's approvers
    supplier_cert_expiring = "supplier_cert_expiring"  # 认定将到期: 90, 30 and 7 days before


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


class InboxPage(BaseStruct):
    items: list[Notification]
    meta: PageMeta
    unread: int


class UnreadCount(BaseStruct):
    unread: int


class MarkedRead(BaseStruct):
    marked: int


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # waiting for a worker (or for its next retry)
    sending = "sending"  # claimed by a worker until claimed_until
    sent = "sent"  # delivered by WeChat or SMS (and in the inbox)
    inbox_only = "inbox_only"  # no template, no grant or no openid: the inbox is the channel
    failed = "failed"  # attempts used up or refused for good; an admin may retry
    # handed to WeChat, then the answer was lost (worker stopped, no reply): perhaps delivered, so
    # never sent again on its own; it is in the inbox; an admin may send it again
    unconfirmed = "unconfirmed"


class Channel(enum.StrEnum):
    wechat = "wechat"
    sms = "sms"


class Delivery(BaseStruct):
    """An outbox row as the admin sees it."""

    id: int
    user_id: int
    event: NotificationEvent
    title: str
    created_at: dt.datetime
    delivery_status: DeliveryStatus
    attempts: int
    next_attempt_at: dt.datetime
    channel: Channel | None = None
    wechat_template_id: str | None = None
    last_error: str | None = None
    delivered_at: dt.datetime | None = None


class DeliveryPage(BaseStruct):
    items: list[Delivery]
    meta: PageMeta


class RetryFailed(BaseStruct):
    """Put failed rows back in the queue: these ids, or every failed row (of one event) if none."""

    ids: list[int] = []
    event: NotificationEvent | None = None


class Requeued(BaseStruct):
    requeued: int


# 模板字段名: type + number (thing1, phrase2, time3); the source is title, body, created_at,
# data.<key> or literal:<text>. Checked against the WeChat field types in backend/notifications/rules.
TemplateFieldKey = Annotated[str, Meta(pattern=r"^[a-z_]+[0-9]+$(?!\n)", max_length=40)]
TemplateFieldSource = Annotated[str, Meta(min_length=1, max_length=100)]
TemplateFields = Annotated[dict[TemplateFieldKey, TemplateFieldSource], Meta(min_length=1, max_length=10)]
WeChatTemplateId = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$(?!\n)")]
MiniProgramPage = Annotated[str, Meta(max_length=200)]


class TemplateUpdate(BaseStruct):
    template_id: WeChatTemplateId
    fields: TemplateFields
    page: MiniProgramPage = ""
    sms_fallback: bool = False
    enabled: bool = True


class Template(BaseStruct):
    event: NotificationEvent
    template_id: str
    fields: dict[str, str]
    page: str
    sms_fallback: bool
    enabled: bool
    updated_at: dt.datetime


class SubscribeResult(enum.StrEnum):
    """wx.requestSubscribeMessage's answer per template id."""

    accept = "accept"
    reject = "reject"
    ban = "ban"
    filter = "filter"


class SubscribeReport(BaseStruct):
    """What the mini-program got from wx.requestSubscribeMessage: {template id: result}."""

    results: Annotated[dict[WeChatTemplateId, SubscribeResult], Meta(min_length=1, max_length=20)]


class SubscribeTemplate(BaseStruct):
    """A template the mini-program may ask the user to accept, with the grants the user holds."""

    event: NotificationEvent
    template_id: str
    remaining: int


class SubscribeTemplates(BaseStruct):
    items: list[SubscribeTemplate]
