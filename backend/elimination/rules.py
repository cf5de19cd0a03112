"""What makes a monitored household a risk-elimination candidate (DOMAIN §5 step 10: income
stably above the line and the hard guarantees holding). Named here; the daily query
(queries.REFRESH_CANDIDATES) applies them in SQL over every household."""

from __future__ import annotations

# "Stably above the line": the per-capita income after rigid expenses of each of the household's
# last this-many visits is above the monitoring line of that visit's year.
STABLE_VISITS = 2
# The latest visit's checklist must hold every one of these, each ok (两不愁三保障 and 饮水安全).
CHECKLIST_ITEMS = ("food", "clothing", "education", "medical", "housing", "drinking_water")
