"""Building registry import files for tests."""

from __future__ import annotations

import csv
import io

HEADER = (
    "household_no",
    "village_code",
    "category",
    "address",
    "head_phone",
    "name",
    "id_number",
    "relation",
    "labour_capacity",
    "health",
)


def csv_bytes(
    rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER, encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def legacy_15(id_number: str) -> str:
    """The 15-digit form of an ID number issued before 1999 (no century, no check digit)."""
    return id_number[:6] + id_number[8:17]
