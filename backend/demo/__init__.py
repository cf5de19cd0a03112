"""Demo data for `fangpin up` / `fangpin seed-demo`: invented regions, households, staff and
consumption-assistance parties; idempotent."""

from backend.demo.credentials import format_credentials
from backend.demo.seed import DemoSeed, seed_demo

__all__ = ["DemoSeed", "format_credentials", "seed_demo"]
