"""Working-day calendar SQL."""

# Counting a date holds the calendar shared until commit; entering a year holds it alone, so a
# date counted while a year is entered is either counted on it or committed before its recount.
CALENDAR_LOCK_KEY = 0x63616C  # "cal"
HOLD_CALENDAR_SHARED = f"SELECT pg_advisory_xact_lock_shared({CALENDAR_LOCK_KEY})"
HOLD_CALENDAR_ALONE = f"SELECT pg_advisory_xact_lock({CALENDAR_LOCK_KEY})"

# Everything entered, in one round trip: the calendar is a few dozen rows a year.
LOAD_CALENDAR = """
SELECT ARRAY(SELECT year FROM official_calendar_years) AS declared_years,
       ARRAY(SELECT day FROM official_calendar_days WHERE is_workday) AS workdays,
       ARRAY(SELECT day FROM official_calendar_days WHERE NOT is_workday) AS holidays
"""

LIST_DECLARED_YEARS = """
SELECT year
FROM official_calendar_years
ORDER BY year
"""

GET_DECLARATION = """
SELECT y.source,
       y.declared_by,
       u.display_name AS declared_by_name,
       y.declared_at
FROM official_calendar_years y
JOIN users u ON u.id = y.declared_by
WHERE y.year = $1
"""

LIST_DAYS_OF_YEAR = """
SELECT day AS date, name, is_workday
FROM official_calendar_days
WHERE year = $1
ORDER BY day
"""

# Taken first: the row lock makes concurrent replacements of one year run one after the other.
DECLARE_YEAR = """
INSERT INTO official_calendar_years (year, source, declared_by, declared_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (year) DO UPDATE
SET source = EXCLUDED.source,
    declared_by = EXCLUDED.declared_by,
    declared_at = EXCLUDED.declared_at
"""

DELETE_DAYS_OF_YEAR = """
DELETE FROM official_calendar_days
WHERE year = $1
"""

INSERT_DAYS = """
INSERT INTO official_calendar_days (day, is_workday, name)
SELECT day, is_workday, name
FROM unnest($1::date[], $2::boolean[], $3::text[]) AS d (day, is_workday, name)
"""
