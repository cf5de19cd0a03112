"""The rules in SQL, one statement per feed, set-based over the batch's staging rows.

Each feed contributes `candidates` (rule_code, household_id, person_id, period, measure, evidence,
args); RAISE turns them into alerts: the level from the rule's comparison and the batch's
thresholds, the explanation rendered from the rule's template, the dedupe key upheld, the
county's exemptions (豁免清单) left out and returned as NULL ids to be counted. Every join
to the registry is on household_id (with person_id), the distribution key of docs/scale-out.md.

Parameters shared by every statement: $1 batch id (NULL for a region run of the income rule),
$2 the batch's month, $3 the thresholds applied ([{code, value, red_value, applied}]), $4 the
open statuses. A feed's own parameters follow from $5.
"""

from __future__ import annotations

from backend.alerts import rules
from schemas.feeds import FeedCode

# A member of working age at `on` (16–59 full years), for a persons row aliased `p`.
_WORKING_AGE = (
    f"p.birth_date <= {{on}} - make_interval(years => {rules.WORKING_AGE_FROM}) "
    f"AND p.birth_date > {{on}} - make_interval(years => {rules.WORKING_AGE_UNTIL})"
)
_AGE = "extract(year FROM age({on}, p.birth_date))::int"

# "New": dated in the batch's month or the NEW_WITHIN_MONTHS - 1 before it ($5 = NEW_WITHIN_MONTHS).
_NEW = "{col} >= $2::date - make_interval(months => $5 - 1) AND {col} < $2::date + interval '1 month'"

# The household's latest income survey up to the batch's year, for the household id `{household}`.
# Net income before rigid expenses (YB-03 compares a rigid expense with it) and per capita after
# them (SR-01; the same formula as backend/registry/rules.per_capita_net_income_fen).
_LATEST_INCOME = """
LATERAL (
    SELECT i.year, i.member_count,
           i.wage_fen + i.business_fen + i.property_fen + i.transfer_fen - i.productive_expense_fen AS net_fen,
           floor((i.wage_fen + i.business_fen + i.property_fen + i.transfer_fen - i.productive_expense_fen
                  - i.medical_expense_fen - i.education_expense_fen - i.disaster_expense_fen)::numeric
                 / i.member_count)::bigint AS per_capita_fen
    FROM household_incomes i
    WHERE i.household_id = {household}
      AND i.year <= extract(year FROM {on})
    ORDER BY i.year DESC
    LIMIT 1
) inc
"""

_OPEN = "o.status = ANY($4::text[])"
_LOCAL_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"

# The first tier of a threshold rule, for a candidate query to keep only rows that can reach it
# (building the evidence of every row that cannot was most of a large batch's time).
_FIRST_TIER = "(SELECT min(a.value) FROM applied a WHERE a.code IN ({codes}))"

RAISE = f"""
WITH applied AS (
    SELECT t.code, t.value, t.red_value, t.applied
    FROM jsonb_to_recordset($3::text::jsonb) AS t (code text, value bigint, red_value bigint, applied jsonb)
),
candidates AS ({{candidates}}),
leveled AS (
    SELECT c.rule_code, c.household_id, c.person_id, c.period, c.evidence, c.args,
           r.risk_type, r.unit, r.why_template, r.why_template_red, a.applied,
           CASE r.compare
               WHEN 'flag' THEN r.level
               WHEN 'at_least' THEN CASE WHEN c.measure >= a.red_value THEN 'red'
                                         WHEN c.measure >= a.value THEN 'yellow' END
               WHEN 'below' THEN CASE WHEN c.measure < a.red_value THEN 'red'
                                      WHEN c.measure <= a.value THEN 'yellow' END
           END AS level,
           a.value, a.red_value
    FROM candidates c
    JOIN alert_rules r ON r.code = c.rule_code
    LEFT JOIN applied a ON a.code = c.rule_code
),
crossed AS (
    SELECT l.*, CASE WHEN l.level = 'red' THEN l.red_value ELSE l.value END AS crossed,
           -- 豁免清单: the person (by blind index) is exempted from the rule today.
           EXISTS (SELECT 1
                   FROM persons ep
                   JOIN alert_exemptions e ON e.id_number_bidx = ep.id_number_bidx
                   WHERE ep.household_id = l.household_id AND ep.id = l.person_id AND e.rule_code = l.rule_code
                     AND e.revoked_at IS NULL AND e.ends_on >= {_LOCAL_TODAY}) AS exempted
    FROM leveled l
    WHERE l.level IS NOT NULL
),
inserted AS (
INSERT INTO alerts (household_id, person_id, rule_code, period, risk_type, level, evidence, threshold, why, batch_id)
SELECT x.household_id, x.person_id, x.rule_code, x.period, x.risk_type, x.level, x.evidence,
       x.applied || jsonb_build_object('crossed', x.crossed),
       alerts_render(
           CASE WHEN x.level = 'red' THEN coalesce(x.why_template_red, x.why_template) ELSE x.why_template END,
           CASE WHEN x.crossed IS NULL THEN x.args
                ELSE x.args || jsonb_build_object('threshold',
                    CASE x.unit WHEN 'fen' THEN alerts_yuan(x.crossed) ELSE x.crossed::text END) END),
       $1
FROM crossed x
-- An open alert of the rule at the same or a higher level already speaks for the person.
WHERE NOT x.exempted AND NOT EXISTS (
    SELECT 1 FROM alerts o
    WHERE o.household_id = x.household_id AND o.person_id = x.person_id AND o.rule_code = x.rule_code
      AND {_OPEN} AND (o.level = 'red' OR x.level = 'yellow'))
ON CONFLICT (household_id, person_id, rule_code, period) DO NOTHING
RETURNING id
)
-- The new alerts' ids, and a NULL for every match an exemption kept back (the batch counts them).
SELECT id FROM inserted
UNION ALL
SELECT NULL FROM crossed WHERE exempted
"""

# --- medical ----------------------------------------------------------------------------------

# The batch's month for each blind index, matched or not; a re-upload replaces the figure.
# $1 batch, $2 month, $3 the batch's region. In key order: a million random blind indexes inserted
# into an index larger than the cache took 20 s, sorted ones a fraction of it.
UPSERT_MEDICAL_MONTH = """
INSERT INTO medical_costs_monthly (id_number_bidx, month, region_code, out_of_pocket_fen, batch_id)
SELECT f.id_number_bidx, $2, $3, sum(f.out_of_pocket_fen), $1
FROM feed_rows_medical f
WHERE f.batch_id = $1
GROUP BY f.id_number_bidx
ORDER BY f.id_number_bidx
ON CONFLICT (id_number_bidx, month, region_code) DO UPDATE
SET out_of_pocket_fen = EXCLUDED.out_of_pocket_fen, batch_id = EXCLUDED.batch_id
"""

# $5 = MEDICAL_LOOKBACK_MONTHS. The look-back is probed in blind-index order and the incomes in
# household order (ORDER BY in the CTEs), so that index pages are read once each, not at random.
_MEDICAL = f"""
WITH matched AS (
    SELECT f.id_number_bidx, f.household_id, f.person_id
    FROM feed_rows_medical f
    WHERE f.batch_id = $1 AND f.person_id IS NOT NULL
    GROUP BY f.id_number_bidx, f.household_id, f.person_id
    ORDER BY f.id_number_bidx
),
sums AS (
    SELECT m.household_id, m.person_id, sum(c.out_of_pocket_fen) AS fen, count(DISTINCT c.month) AS months
    FROM matched m
    JOIN medical_costs_monthly c
      ON c.id_number_bidx = m.id_number_bidx
     AND c.month > $2::date - make_interval(months => $5) AND c.month <= $2::date
    GROUP BY m.household_id, m.person_id
    ORDER BY m.household_id
)
SELECT CASE WHEN h.category = 'lifted' OR h.monitoring_status = 'monitoring' THEN 'YB-02' ELSE 'YB-01' END AS rule_code,
       s.household_id, s.person_id, $2::date AS period, s.fen::numeric AS measure,
       jsonb_build_object('out_of_pocket_12m_fen', s.fen, 'months_reported', s.months) AS evidence,
       jsonb_build_object('amount', alerts_yuan(s.fen)) AS args
FROM sums s
JOIN households h ON h.id = s.household_id
WHERE s.fen >= {_FIRST_TIER.format(codes="'YB-01', 'YB-02'")}
UNION ALL
SELECT 'YB-03', s.household_id, s.person_id, $2::date, s.fen * 100.0 / inc.net_fen,
       jsonb_build_object('out_of_pocket_12m_fen', s.fen, 'months_reported', s.months,
                          'income_year', inc.year, 'household_net_income_fen', inc.net_fen),
       jsonb_build_object('amount', alerts_yuan(s.fen), 'income', alerts_yuan(inc.net_fen), 'year', inc.year,
                          'ratio', regexp_replace(to_char(trunc(s.fen * 100.0 / inc.net_fen, 1), 'FM99999990.0'),
                                                  '\\.0$', ''))
FROM sums s
JOIN {_LATEST_INCOME.format(household="s.household_id", on="$2::date")}
  ON inc.net_fen > 0 AND s.fen * 100 >= {_FIRST_TIER.format(codes="'YB-03'")} * inc.net_fen
"""

# --- one row, one person ------------------------------------------------------------------------

# The latest row of each person and rule; `rule` maps a row to a code (NULL: no rule).
_PER_PERSON = """
SELECT DISTINCT ON (f.person_id, {rule})
       {rule} AS rule_code, f.household_id, f.person_id, $2::date AS period, NULL::numeric AS measure,
       {evidence} AS evidence, {args} AS args
FROM {table} f
{joins}
WHERE f.batch_id = $1 AND f.person_id IS NOT NULL AND {rule} IS NOT NULL {where}
ORDER BY f.person_id, {rule}, {date} DESC, f.row_no
"""

_EDUCATION = _PER_PERSON.format(
    table="feed_rows_education",
    rule="CASE f.status WHEN 'dropout' THEN 'JY-01' WHEN 'suspended' THEN 'JY-02' END",
    evidence="jsonb_build_object('stage', f.stage, 'status', f.status, 'event_date', f.event_date, "
    "'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args="jsonb_build_object('date', f.event_date)",
    joins="",
    where="AND f.stage = 'compulsory'",
    date="f.event_date",
)

_HOUSING = _PER_PERSON.format(
    table="feed_rows_housing",
    rule="CASE WHEN f.appraisal_grade IN ('C', 'D') THEN 'ZJ-01' END",
    evidence="jsonb_build_object('appraisal_grade', f.appraisal_grade, 'appraisal_date', f.appraisal_date, "
    "'address', f.address, 'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args="jsonb_build_object('date', f.appraisal_date, 'grade', f.appraisal_grade)",
    joins="",
    where="",
    date="f.appraisal_date",
)

# A level 1–2 certificate the registry does not know of yet, for a member of working age. $5.
_DISABILITY = _PER_PERSON.format(
    table="feed_rows_disability",
    rule="CASE WHEN f.level <= 2 THEN 'CL-01' END",
    evidence="jsonb_build_object('category', f.category, 'level', f.level, 'issue_date', f.issue_date, "
    "'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args=f"jsonb_build_object('date', f.issue_date, 'level', f.level, 'category', f.category, "
    f"'age', {_AGE.format(on='f.issue_date')})",
    joins="JOIN persons p ON p.household_id = f.household_id AND p.id = f.person_id",
    where=f"AND {_NEW.format(col='f.issue_date')} AND {_WORKING_AGE.format(on='f.issue_date')} "
    "AND (p.disability_level IS NULL OR p.disability_level > 2)",
    date="f.issue_date",
)

# The main earner: among members of working age with labour capacity at the row's date, one
# recorded as working for wages first, then the head, the spouse, the eldest.
_EMPLOYMENT = _PER_PERSON.format(
    table="feed_rows_employment",
    rule="CASE WHEN f.status = 'unemployed' THEN 'RS-01' END",
    evidence="jsonb_build_object('status', f.status, 'event_date', f.event_date, "
    "'monthly_income_fen', f.monthly_income_fen, 'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args="jsonb_build_object('date', f.event_date)",
    joins=f"""JOIN LATERAL (
    SELECT p.id
    FROM persons p
    WHERE p.household_id = f.household_id AND p.labour_capacity <> 'none'
      AND {_WORKING_AGE.format(on="f.event_date")}
    ORDER BY p.employment IN ('migrant_work', 'local_work', 'public_post') DESC NULLS LAST,
             p.relation = 'head' DESC, p.relation = 'spouse' DESC, p.birth_date, p.id
    LIMIT 1
) earner ON earner.id = f.person_id""",
    where="",
    date="f.event_date",
)

_DEATH = _PER_PERSON.format(
    table="feed_rows_civil_registry",
    rule="CASE WHEN f.event = 'death' THEN 'GA-01' END",
    evidence="jsonb_build_object('event', f.event, 'event_date', f.event_date, "
    "'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args=f"jsonb_build_object('date', f.event_date, 'age', {_AGE.format(on='f.event_date')})",
    joins="JOIN persons p ON p.household_id = f.household_id AND p.id = f.person_id",
    where=f"AND {_WORKING_AGE.format(on='f.event_date')}",
    date="f.event_date",
)

# New 临时救助 (MZ-01); 低保 / 特困 starting for a household not monitored (MZ-02). $5.
_WELFARE = _PER_PERSON.format(
    table="feed_rows_welfare",
    rule="CASE WHEN f.kind = 'temporary_relief' THEN 'MZ-01' WHEN h.monitoring_status <> 'monitoring' THEN 'MZ-02' END",
    evidence="jsonb_build_object('kind', f.kind, 'start_date', f.start_date, 'end_date', f.end_date, "
    "'amount_fen', f.amount_fen, 'id_number_masked', f.id_number_masked, 'row_no', f.row_no)",
    args="jsonb_build_object('date', f.start_date, 'amount', alerts_yuan(f.amount_fen), "
    "'kind', CASE f.kind WHEN 'dibao' THEN '最低生活保障' WHEN 'tekun' THEN '特困人员救助供养' ELSE '临时救助' END)",
    joins="JOIN households h ON h.id = f.household_id",
    where=f"AND {_NEW.format(col='f.start_date')}",
    date="f.start_date",
)

# Losses of one person in the batch add up.
_DISASTER = f"""
SELECT 'YJ-01' AS rule_code, f.household_id, f.person_id, $2::date AS period, sum(f.loss_fen)::numeric AS measure,
       jsonb_build_object('loss_fen', sum(f.loss_fen), 'events', count(*),
                          'disaster_types', jsonb_agg(DISTINCT f.disaster_type), 'last_date', max(f.event_date),
                          'id_number_masked', min(f.id_number_masked)) AS evidence,
       jsonb_build_object('date', max(f.event_date), 'amount', alerts_yuan(sum(f.loss_fen)),
                          'disaster_type', string_agg(DISTINCT f.disaster_type, '、' ORDER BY f.disaster_type)) AS args
FROM feed_rows_disaster f
WHERE f.batch_id = $1 AND f.person_id IS NOT NULL
GROUP BY f.household_id, f.person_id
HAVING sum(f.loss_fen) >= {_FIRST_TIER.format(codes="'YJ-01'")}
"""

# A household's own issue (SL-01, on the person named) and its village's (SL-02, on the head of
# every household of the village).
_WATER = """
(SELECT DISTINCT ON (f.person_id)
        'SL-01' AS rule_code, f.household_id, f.person_id, $2::date AS period, NULL::numeric AS measure,
        jsonb_build_object('issue', f.issue, 'event_date', f.event_date, 'id_number_masked', f.id_number_masked,
                           'row_no', f.row_no) AS evidence,
        jsonb_build_object('issue', f.issue, 'date', f.event_date) AS args
 FROM feed_rows_water f
 WHERE f.batch_id = $1 AND f.person_id IS NOT NULL
 ORDER BY f.person_id, f.event_date DESC, f.row_no)
UNION ALL
(SELECT DISTINCT ON (head.id)
        'SL-02', h.id, head.id, $2::date, NULL::numeric,
        jsonb_build_object('issue', f.issue, 'event_date', f.event_date, 'village_code', f.village_code,
                           'row_no', f.row_no),
        jsonb_build_object('issue', f.issue, 'date', f.event_date)
 FROM feed_rows_water f
 JOIN households h ON h.village_code = f.village_code
 JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
 WHERE f.batch_id = $1 AND f.village_code IS NOT NULL
 ORDER BY head.id, f.event_date DESC, f.row_no)
"""

# Per-capita income after rigid expenses as a percent of the year's monitoring line, for the
# households `{source}` names (aliased `h`) that `{where}` keeps, all in the province `{province}`
# (a batch's households lie in its region, a region in one province). Raised on the head, once per survey year.
_INCOME = f"""
SELECT 'SR-01' AS rule_code, h.id AS household_id, head.id AS person_id, make_date(inc.year, 1, 1) AS period,
       inc.per_capita_fen * 100.0 / t.per_capita_fen AS measure,
       jsonb_build_object('year', inc.year, 'member_count', inc.member_count,
                          'per_capita_fen', inc.per_capita_fen, 'monitoring_line_fen', t.per_capita_fen) AS evidence,
       jsonb_build_object('year', inc.year, 'income', alerts_yuan(inc.per_capita_fen),
                          'line', alerts_yuan(t.per_capita_fen)) AS args
FROM {{source}}
JOIN persons head ON head.household_id = h.id AND head.relation = 'head'
CROSS JOIN {_LATEST_INCOME.format(household="h.id", on="$2::date")}
JOIN monitoring_thresholds t
  ON t.year = inc.year AND t.province_code = {{province}}
 AND inc.per_capita_fen * 100 <= {_FIRST_TIER.format(codes="'SR-01'")} * t.per_capita_fen
WHERE {{where}}
"""

RAISE_MEDICAL = RAISE.format(candidates=_MEDICAL)
RAISE_EDUCATION = RAISE.format(candidates=_EDUCATION)
RAISE_HOUSING = RAISE.format(candidates=_HOUSING)
RAISE_DISABILITY = RAISE.format(candidates=_DISABILITY)
RAISE_EMPLOYMENT = RAISE.format(candidates=_EMPLOYMENT)
RAISE_DEATH = RAISE.format(candidates=_DEATH)
RAISE_WELFARE = RAISE.format(candidates=_WELFARE)
RAISE_DISASTER = RAISE.format(candidates=_DISASTER)
RAISE_WATER = RAISE.format(candidates=_WATER)
# The income rule for every household of a region ($5, a LIKE pattern): the cron / CLI run.
RAISE_INCOME_IN_REGION = RAISE.format(
    candidates=_INCOME.format(
        source="households h", where="h.village_code LIKE $5", province="rpad(left($5, 2), 12, '0')"
    )
)

# Civil registry: a member who moved out or died is flagged for the registry (no alert for a move).
FLAG_REGISTRY_UPDATES = """
INSERT INTO registry_update_flags (household_id, person_id, reason, event_date, batch_id)
SELECT DISTINCT ON (f.person_id, f.event) f.household_id, f.person_id, f.event, f.event_date, f.batch_id
FROM feed_rows_civil_registry f
WHERE f.batch_id = $1 AND f.person_id IS NOT NULL
ORDER BY f.person_id, f.event, f.event_date DESC
ON CONFLICT (household_id, person_id, reason) WHERE resolved_at IS NULL DO NOTHING
"""

# The households a batch touched, for the income rule: the matched rows' and the villages' named.
TOUCHED_HOUSEHOLDS = {
    feed: f"SELECT t.household_id FROM feed_rows_{feed.value} t WHERE t.batch_id = $1 AND t.household_id IS NOT NULL"
    for feed in FeedCode
    if feed not in (FeedCode.water, FeedCode.negative_list)
}
TOUCHED_HOUSEHOLDS[FeedCode.water] = """
SELECT t.household_id FROM feed_rows_water t WHERE t.batch_id = $1 AND t.household_id IS NOT NULL
UNION ALL
SELECT hv.id FROM feed_rows_water t JOIN households hv ON hv.village_code = t.village_code
WHERE t.batch_id = $1 AND t.village_code IS NOT NULL
"""

# The income rule for the households a batch touched, run with the batch.
RAISE_INCOME_FOR_BATCH = {
    feed: RAISE.format(
        candidates=_INCOME.format(
            source=f"(SELECT DISTINCT x.household_id FROM ({touched}) x ORDER BY x.household_id) touched "
            "JOIN households h ON h.id = touched.household_id",
            where="true",
            province="(SELECT rpad(left(b.region_code, 2), 12, '0') FROM feed_batches b WHERE b.id = $1)",
        )
    )
    for feed, touched in TOUCHED_HOUSEHOLDS.items()
}
