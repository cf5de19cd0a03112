-- China's official working-day calendar as the State Council announces it each autumn
-- (国务院办公厅关于XXXX年部分节假日安排的通知), entered by an admin the day it is published so legal
-- deadlines (DOMAIN §5) do not wait for a `chinesecalendar` release.

-- A year an admin has declared complete: every holiday and swapped working day of its notice is
-- entered, so its other days follow Monday–Friday.
CREATE TABLE official_calendar_years (
    year         integer PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    source       text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),  -- the notice's title / number
    declared_by  bigint NOT NULL REFERENCES users (id),
    declared_at  timestamptz NOT NULL DEFAULT now()
);

-- The announced days: holidays (is_workday = false) and weekend days worked instead (调休,
-- is_workday = true). Each overrides the library for that day. A day belongs to a declared year.
CREATE TABLE official_calendar_days (
    day         date PRIMARY KEY,
    is_workday  boolean NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 30),
    year        integer NOT NULL GENERATED ALWAYS AS (extract(year FROM day)::integer) STORED
                REFERENCES official_calendar_years (year),
    CHECK (NOT is_workday OR extract(isodow FROM day) IN (6, 7))  -- a swapped workday is a weekend day
);
CREATE INDEX official_calendar_days_year_idx ON official_calendar_days (year);
