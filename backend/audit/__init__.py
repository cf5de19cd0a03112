"""Append-only audit trail (DOMAIN §11): `audit.record(...)` inside the audited transaction."""

from backend.audit.service import record

__all__ = ["record"]
