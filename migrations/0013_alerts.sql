-- Department-feed alerts (DOMAIN §7.2, issue 15 items 4-5): rules as data with a numbered code,
-- thresholds per province and year, the look-back figures the rules sum over, the alerts
-- themselves (one per rule, person and period), the household traffic light (红黄绿) and the
-- registry-update flags the civil registry feed raises. docs/alerts.md explains every rule.

-- Rule codes are <department initials>-<nn>, as county checkers name their checks (医保 YB,
-- 民政 MZ, 教育 JY, 住建 ZJ, 残联 CL, 人社 RS, 应急 YJ, 公安 GA, 水利 SL, 收入 SR); a new check of
-- a department takes the next number, a retired code is never reused.
-- compare: `flag` raises `level` on any matching row; `at_least` raises yellow at value and red at
-- red_value (measure >= threshold); `below` raises yellow at or under value and red under
-- red_value. The measure is in `unit` (fen, or percent).
CREATE TABLE alert_rules (
    code              text PRIMARY KEY CHECK (code ~ '^[A-Z]{2}-[0-9]{2}$'),
    feed              text NOT NULL CHECK (feed IN ('medical', 'welfare', 'education', 'housing', 'disability',
                                                    'employment', 'disaster', 'civil_registry', 'water',
                                                    'income')),  -- income: the registry's own yearly survey
    risk_type         text NOT NULL CHECK (risk_type IN ('illness', 'disability', 'schooling', 'disaster',
                                                         'accident', 'epidemic', 'business_failure',
                                                         'unstable_employment', 'lack_of_labour',
                                                         'housing_unsafe', 'dropout', 'water_unsafe',
                                                         'income_drop', 'other')),  -- DOMAIN §4
    level             text NOT NULL CHECK (level IN ('red', 'yellow')),  -- of a flag; else the first tier
    compare           text NOT NULL CHECK (compare IN ('flag', 'at_least', 'below')),
    unit              text CHECK (unit IN ('fen', 'percent')),
    default_value     bigint CHECK (default_value > 0),  -- when a province has set none for the year
    default_red_value bigint CHECK (default_red_value > 0),
    title             text NOT NULL,  -- the check's name in lists
    why_template      text NOT NULL,  -- {placeholders} filled from the evidence; {threshold} = the one crossed
    why_template_red  text,           -- for the red tier when it reads differently
    CHECK ((compare = 'flag') = (unit IS NULL)),
    CHECK ((compare = 'flag') = (default_value IS NULL)),
    CHECK ((compare = 'flag') = (default_red_value IS NULL)),
    CHECK (compare <> 'at_least' OR default_red_value > default_value),
    CHECK (compare <> 'below' OR default_red_value < default_value)
);

-- Admin-set thresholds (audited as alert_threshold.put). A batch uses the row of its province for
-- its period's year, else that province's latest earlier year, else the rule's default; every
-- alert keeps the threshold it was raised under, so an edit never rewrites an old alert.
CREATE TABLE alert_thresholds (
    rule_code     text NOT NULL REFERENCES alert_rules (code),
    province_code char(12) NOT NULL REFERENCES regions (code),
    year          smallint NOT NULL CHECK (year BETWEEN 2014 AND 2100),
    value         bigint NOT NULL CHECK (value > 0),
    red_value     bigint NOT NULL CHECK (red_value > 0),
    note          text NOT NULL DEFAULT '',
    updated_by    bigint REFERENCES users (id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_code, province_code, year)
);

-- The look-back of the medical rules: each person's out-of-pocket cost per month (the month the
-- export covers), per blind index so that a 12-month sum spans earlier batches and persons
-- registered later; per reporting region so two regions' reports add up. A re-uploaded month
-- replaces the person's figure for that month and region. No foreign keys: a million-row batch
-- writes a million rows here, and per-row key checks were a third of that time.
CREATE TABLE medical_costs_monthly (
    id_number_bidx    bytea NOT NULL,
    month             date NOT NULL CHECK (extract(day FROM month) = 1),
    region_code       char(12) NOT NULL,  -- the batch's
    out_of_pocket_fen bigint NOT NULL,
    batch_id          bigint NOT NULL,  -- the batch that last wrote the figure
    PRIMARY KEY (id_number_bidx, month, region_code)
);

-- One alert per (rule, person, period): re-uploading or re-running never duplicates. The household
-- leads the key so that the table can be distributed by household (docs/scale-out.md). A
-- household-level rule (income, a village's water) raises on the head. `status` is `open` until
-- the alert work (issue 16) adds its states.
CREATE TABLE alerts (
    id           bigserial PRIMARY KEY,
    household_id bigint NOT NULL REFERENCES households (id),
    person_id    bigint NOT NULL REFERENCES persons (id),
    rule_code    text NOT NULL REFERENCES alert_rules (code),
    period       date NOT NULL,  -- the batch's month; the survey year's 1 January for income
    risk_type    text NOT NULL,
    level        text NOT NULL CHECK (level IN ('red', 'yellow')),
    evidence     jsonb NOT NULL,  -- the department's figures (masked ID only, never a clear one)
    threshold    jsonb,           -- the threshold applied (value, red_value, unit, where from); NULL for flags
    why          text NOT NULL,   -- the rendered explanation
    batch_id     bigint REFERENCES feed_batches (id),  -- NULL: the income rule run for a region
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (household_id, person_id, rule_code, period)
);
CREATE INDEX alerts_batch_idx ON alerts (batch_id) WHERE batch_id IS NOT NULL;

-- 红黄绿: the worst open alert of the household, refreshed by whatever opens or closes an alert
-- (backend/alerts/service.refresh_traffic_lights). A column, not a view: docs/alerts.md has the
-- figures.
ALTER TABLE households
    ADD COLUMN traffic_light text NOT NULL DEFAULT 'green' CHECK (traffic_light IN ('red', 'yellow', 'green'));
CREATE INDEX households_village_light_idx ON households (village_code bpchar_pattern_ops, traffic_light);

-- What the civil registry reports that the registry itself must catch up with (a member moved out
-- or died): shown on the household view until someone updates the registry.
CREATE TABLE registry_update_flags (
    id           bigserial PRIMARY KEY,
    household_id bigint NOT NULL REFERENCES households (id),
    person_id    bigint NOT NULL REFERENCES persons (id),
    reason       text NOT NULL CHECK (reason IN ('moved_out', 'death')),
    event_date   date NOT NULL,
    batch_id     bigint NOT NULL REFERENCES feed_batches (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at  timestamptz
);
CREATE UNIQUE INDEX registry_update_flags_open_idx ON registry_update_flags (household_id, person_id, reason)
    WHERE resolved_at IS NULL;

-- 18230.00 yuan as `18,230`, 18230.50 as `18,230.50`: how amounts read in an explanation.
CREATE FUNCTION alerts_yuan(fen numeric) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN fen % 100 = 0 THEN to_char(fen / 100, 'FM999,999,999,999,990')
                ELSE to_char(fen / 100.0, 'FM999,999,999,999,990.00') END
$$;

-- A rule's template with each {key} replaced by args->>key (a null leaves the {key} showing).
CREATE FUNCTION alerts_render(template text, args jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    k text;
    v text;
    rendered text := template;
BEGIN
    FOR k, v IN SELECT key, value FROM jsonb_each_text(args) WHERE value IS NOT NULL LOOP
        rendered := replace(rendered, '{' || k || '}', v);
    END LOOP;
    RETURN rendered;
END
$$;

-- The default rules (DOMAIN §7.2; issue 15 item 4). Amounts in fen.
INSERT INTO alert_rules (code, feed, risk_type, level, compare, unit, default_value, default_red_value, title,
                         why_template, why_template_red)
VALUES
    -- DOMAIN §7.2 "out-of-pocket medical cost over 12 months ≥ 10,000 yuan"; red at twice the line.
    ('YB-01', 'medical', 'illness', 'yellow', 'at_least', 'fen', 1000000, 2000000, '医疗自付费用较高',
     '近12个月医疗自付 {amount} 元，超过阈值 {threshold} 元', NULL),
    -- County practice (DOMAIN §7.2): 6,000 yuan for lifted (脱贫户) or monitored households.
    ('YB-02', 'medical', 'illness', 'yellow', 'at_least', 'fen', 600000, 1200000, '脱贫户或监测户医疗自付费用较高',
     '脱贫户或监测户近12个月医疗自付 {amount} 元，超过阈值 {threshold} 元', NULL),
    -- County practice (DOMAIN §7.2): out-of-pocket ≥ 50 % of the household's income; red at 100 %.
    ('YB-03', 'medical', 'illness', 'yellow', 'at_least', 'percent', 50, 100, '医疗自付占家庭收入比例较高',
     '近12个月医疗自付 {amount} 元，占家庭{year}年纯收入 {income} 元的 {ratio}%，超过 {threshold}%', NULL),
    -- DOMAIN §7.2 "dropout in compulsory stage → dropout (red)" (控辍保学).
    ('JY-01', 'education', 'dropout', 'red', 'flag', NULL, NULL, NULL, '义务教育阶段辍学',
     '义务教育阶段学生于 {date} 辍学', NULL),
    -- Issue 15: a suspended compulsory-stage pupil is a yellow signal of the same risk.
    ('JY-02', 'education', 'dropout', 'yellow', 'flag', NULL, NULL, NULL, '义务教育阶段休学',
     '义务教育阶段学生于 {date} 休学', NULL),
    -- DOMAIN §7.2 "housing grade C/D → housing_unsafe (red)" (C级、D级危房).
    ('ZJ-01', 'housing', 'housing_unsafe', 'red', 'flag', NULL, NULL, NULL, '住房鉴定为危房',
     '住房于 {date} 鉴定为 {grade} 级危房', NULL),
    -- DOMAIN §7.2 "new disability level 1–2 of a working-age member".
    ('CL-01', 'disability', 'disability', 'yellow', 'flag', NULL, NULL, NULL, '劳动年龄成员新增重度残疾',
     '{age}岁家庭成员于 {date} 新办 {level} 级残疾证（{category}）', NULL),
    -- DOMAIN §7.2 "unemployment of the main earner".
    ('RS-01', 'employment', 'unstable_employment', 'yellow', 'flag', NULL, NULL, NULL, '家庭主要劳动力失业',
     '家庭主要劳动力于 {date} 登记失业', NULL),
    -- DOMAIN §7.2 "disaster loss ≥ a set amount": 5,000 yuan yellow, 20,000 red (issue 15).
    ('YJ-01', 'disaster', 'disaster', 'yellow', 'at_least', 'fen', 500000, 2000000, '受灾损失较大',
     '于 {date} 受灾（{disaster_type}），损失 {amount} 元，超过阈值 {threshold} 元', NULL),
    -- DOMAIN §7.2 "death of a working-age member → sudden hardship" (red, issue 15).
    ('GA-01', 'civil_registry', 'accident', 'red', 'flag', NULL, NULL, NULL, '劳动年龄成员死亡',
     '{age}岁家庭成员于 {date} 死亡', NULL),
    -- DOMAIN §7.2 "new 临时救助 → sudden hardship"; issue 15 files it under income_drop.
    ('MZ-01', 'welfare', 'income_drop', 'yellow', 'flag', NULL, NULL, NULL, '新获临时救助',
     '于 {date} 获临时救助 {amount} 元', NULL),
    -- Issue 15: 低保 or 特困 starting for a household the monitoring does not cover yet.
    ('MZ-02', 'welfare', 'income_drop', 'yellow', 'flag', NULL, NULL, NULL, '未监测户新纳入低保或特困',
     '于 {date} 开始享受{kind}，该户尚未纳入防返贫监测', NULL),
    -- DOMAIN §4: unsafe drinking water is a hard failure of 两不愁三保障 plus water, so red.
    ('SL-01', 'water', 'water_unsafe', 'red', 'flag', NULL, NULL, NULL, '农户饮水安全问题',
     '饮水安全问题：{issue}（{date}）', NULL),
    ('SL-02', 'water', 'water_unsafe', 'red', 'flag', NULL, NULL, NULL, '所在村饮水安全问题',
     '所在村饮水安全问题：{issue}（{date}）', NULL),
    -- DOMAIN §7.2: per-capita income after rigid expenses below the year's monitoring line → red,
    -- within 10 % above it → yellow. Thresholds are percent of the line (monitoring_thresholds).
    ('SR-01', 'income', 'income_drop', 'yellow', 'below', 'percent', 110, 100, '人均纯收入低于或接近监测线',
     '{year}年人均纯收入（扣除刚性支出）{income} 元，不高于监测线 {line} 元的 {threshold}%',
     '{year}年人均纯收入（扣除刚性支出）{income} 元，低于监测线 {line} 元');
