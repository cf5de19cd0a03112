"""SQL of orders, the catalogue and the figures. Scoped order queries take $2 union id, $3 supplier
id (NULL = any) and $4 the LIKE pattern of the supplier's county (rules.OrderScope)."""

from __future__ import annotations

# ---- submit ----

CLAIM_SUBMIT_KEY = """
INSERT INTO order_submit_keys (user_id, key, request_hash)
VALUES ($1, $2, $3)
ON CONFLICT (user_id, key) DO NOTHING
RETURNING key
"""

GET_SUBMIT_KEY = """
SELECT request_hash, order_id FROM order_submit_keys WHERE user_id = $1 AND key = $2
"""

FINISH_SUBMIT_KEY = """
UPDATE order_submit_keys SET order_id = $3 WHERE user_id = $1 AND key = $2
"""

# What a cart's products are, unlocked: whether they can be bought at all. The stock is taken
# afterwards by RESERVE_STOCK, which is the only check of quantity that counts.
LIST_CART_PRODUCTS = """
SELECT p.id, p.supplier_id, p.name, p.unit, p.min_order, p.active,
       s.certification_status = 'certified' AND (s.certified_until IS NULL OR s.certified_until >= $2)
           AS supplier_certified
FROM products p
JOIN suppliers s ON s.id = p.supplier_id
WHERE p.id = ANY($1::bigint[])
"""

# The conditional update that makes overselling impossible: it waits for the row lock of a
# concurrent order and re-checks the stock after it commits. Called in product-id order.
RESERVE_STOCK = """
UPDATE products
SET stock = stock - $2
WHERE id = $1 AND stock >= $2 AND active
RETURNING price_fen
"""

GET_STOCK = "SELECT name, unit, stock FROM products WHERE id = $1"

RELEASE_STOCK = """
UPDATE products SET stock = stock + $2 WHERE id = $1
"""

# Taken after the stock (products first, in id order, then the budget row) by submit and release.
LOCK_BUDGET = """
SELECT b.budget_fen, b.committed_fen, u.approval_threshold_fen
FROM union_budgets b
JOIN unions u ON u.id = b.union_id
WHERE b.union_id = $1 AND b.year = $2
FOR UPDATE OF b
"""

GET_UNION = "SELECT id FROM unions WHERE id = $1"

UPSERT_BUDGET = """
INSERT INTO union_budgets (union_id, year, budget_fen, food_procurement_fen, reserved_share_pct, per_member_fen,
                           member_count)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (union_id, year)
DO UPDATE SET budget_fen = EXCLUDED.budget_fen, food_procurement_fen = EXCLUDED.food_procurement_fen,
              reserved_share_pct = EXCLUDED.reserved_share_pct, per_member_fen = EXCLUDED.per_member_fen,
              member_count = EXCLUDED.member_count
"""

COMMIT_BUDGET = """
UPDATE union_budgets SET committed_fen = committed_fen + $3 WHERE union_id = $1 AND year = $2
"""

INSERT_ORDER = """
INSERT INTO orders (union_id, supplier_id, state, budget_year, total_fen, needs_approval, ship_by_days, ship_by,
                    note, submitted_by, submitted_at, updated_at)
VALUES ($1, $2, 'submitted', $3, $4, $5, $6, $7, $8, $9, $10, $10)
RETURNING id
"""

INSERT_LINES = """
INSERT INTO order_lines (order_id, product_id, quantity, price_fen)
SELECT $1, product_id, quantity, price_fen
FROM unnest($2::bigint[], $3::integer[], $4::bigint[]) AS l (product_id, quantity, price_fen)
"""

INSERT_EVENT = """
INSERT INTO order_events (order_id, action, from_state, to_state, actor_user_id, actor_role, at, comment, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""

# ---- steps ----

LOCK_ORDER = """
SELECT o.id, o.union_id, o.supplier_id, o.state, o.version, o.needs_approval, o.budget_year, o.total_fen
FROM orders o
JOIN suppliers s ON s.id = o.supplier_id
WHERE o.id = $1
  AND ($2::bigint IS NULL OR o.union_id = $2)
  AND ($3::bigint IS NULL OR o.supplier_id = $3)
  AND s.county_code LIKE $4
FOR UPDATE OF o
"""

UPDATE_ORDER = """
UPDATE orders
SET state = $2, version = version + 1, updated_at = $3,
    carrier = COALESCE($4, carrier), tracking_no = COALESCE($5, tracking_no),
    acceptance_note = COALESCE($6, acceptance_note), reason = COALESCE($7, reason)
WHERE id = $1
"""

LIST_ORDER_LINES_FOR_RELEASE = """
SELECT product_id, quantity FROM order_lines WHERE order_id = $1 ORDER BY product_id
"""

COUNT_ORDER_PHOTOS = """
SELECT count(*) FROM photos WHERE owner_kind = 'order' AND owner_id = $1 AND id = ANY($2::bigint[])
"""

BUYER_USERS = "SELECT id FROM users WHERE role = 'union_buyer' AND union_id = $1 AND active"
APPROVER_USERS = "SELECT id FROM users WHERE role = 'union_approver' AND union_id = $1 AND active"

# ---- reads ----

_ORDER_COLUMNS = """
o.id, o.union_id, u.name AS union_name, o.supplier_id, s.name AS supplier_name, o.state, o.total_fen,
o.needs_approval, o.ship_by_days, o.ship_by, o.submitted_at, o.version, o.carrier, o.tracking_no,
o.acceptance_note, o.reason, o.note
"""

_ORDER_SCOPE = """
  ($2::bigint IS NULL OR o.union_id = $2)
  AND ($3::bigint IS NULL OR o.supplier_id = $3)
  AND s.county_code LIKE $4
"""

GET_ORDER = f"""
SELECT {_ORDER_COLUMNS}
FROM orders o
JOIN unions u ON u.id = o.union_id
JOIN suppliers s ON s.id = o.supplier_id
WHERE o.id = $1 AND {_ORDER_SCOPE}
"""

LIST_LINES = """
SELECT l.product_id, p.name AS product_name, p.unit, l.quantity, l.price_fen, l.quantity * l.price_fen AS amount_fen
FROM order_lines l
JOIN products p ON p.id = l.product_id
WHERE l.order_id = $1
ORDER BY l.product_id
"""

LIST_EVENTS = """
SELECT action, from_state, to_state, actor_role, at, comment
FROM order_events
WHERE order_id = $1
ORDER BY id
"""

# $1 the state filter (NULL = any), $5 only overdue ones, $6 today.
LIST_ORDERS = f"""
SELECT o.id, u.name AS union_name, s.name AS supplier_name, o.state, o.total_fen, o.ship_by, o.submitted_at,
       count(*) OVER () AS total
FROM orders o
JOIN unions u ON u.id = o.union_id
JOIN suppliers s ON s.id = o.supplier_id
WHERE {_ORDER_SCOPE}
  AND ($1::text IS NULL OR o.state = $1)
  AND (NOT $5::bool OR (o.state IN ('submitted', 'approved', 'confirmed') AND o.ship_by < $6))
ORDER BY o.id DESC
LIMIT $7 OFFSET $8
"""

# ---- figures: $1 the budget year; state groups as text[] (rules.states) ----

# $2 the caller's union (NULL = any), $3 the LIKE pattern of the union's region; $4 live, $5 spent
# states; $6 only this union (NULL = all in scope).
UNION_FIGURES = """
SELECT u.id AS union_id, u.name AS union_name, b.year, b.budget_fen, b.food_procurement_fen,
       b.reserved_share_pct, b.per_member_fen, b.member_count,
       COALESCE(sum(o.total_fen) FILTER (WHERE o.state = ANY($4::text[])), 0)::bigint AS committed_fen,
       COALESCE(sum(o.total_fen) FILTER (WHERE o.state = ANY($5::text[])), 0)::bigint AS spent_fen,
       COALESCE(sum(o.total_fen) FILTER (WHERE o.state = 'settled'), 0)::bigint AS settled_fen,
       count(o.id) FILTER (WHERE o.state = ANY($4::text[])) AS orders
FROM unions u
JOIN union_budgets b ON b.union_id = u.id AND b.year = $1
LEFT JOIN orders o ON o.union_id = u.id AND o.budget_year = $1
WHERE ($2::bigint IS NULL OR u.id = $2) AND u.region_code LIKE $3 AND ($6::bigint IS NULL OR u.id = $6)
GROUP BY u.id, b.union_id, b.year
ORDER BY u.id
"""

# Scoped as the order queries ($2 union, $3 supplier, $4 supplier county); $5 spent, $6 in progress.
SUPPLIER_SALES = f"""
SELECT s.id AS supplier_id, s.name AS supplier_name, s.county_code, r.name AS county_name,
       count(*) FILTER (WHERE o.state = ANY($5::text[])) AS orders,
       COALESCE(sum(o.total_fen) FILTER (WHERE o.state = ANY($5::text[])), 0)::bigint AS amount_fen,
       COALESCE(sum(o.total_fen) FILTER (WHERE o.state = ANY($6::text[])), 0)::bigint AS in_progress_fen
FROM orders o
JOIN suppliers s ON s.id = o.supplier_id
JOIN regions r ON r.code = s.county_code
WHERE o.budget_year = $1 AND {_ORDER_SCOPE}
  AND o.state = ANY($5::text[] || $6::text[])
GROUP BY s.id, r.name
ORDER BY amount_fen DESC, s.id
"""

# By the products' origin county, from the order lines (their amounts add up to the orders' totals).
COUNTY_SALES = f"""
SELECT p.origin_county_code AS county_code, r.name AS county_name,
       count(DISTINCT o.id) FILTER (WHERE o.state = ANY($5::text[])) AS orders,
       COALESCE(sum(l.quantity * l.price_fen) FILTER (WHERE o.state = ANY($5::text[])), 0)::bigint AS amount_fen,
       COALESCE(sum(l.quantity * l.price_fen) FILTER (WHERE o.state = ANY($6::text[])), 0)::bigint
           AS in_progress_fen
FROM orders o
JOIN suppliers s ON s.id = o.supplier_id
JOIN order_lines l ON l.order_id = o.id
JOIN products p ON p.id = l.product_id
JOIN regions r ON r.code = p.origin_county_code
WHERE o.budget_year = $1 AND {_ORDER_SCOPE}
  AND o.state = ANY($5::text[] || $6::text[])
GROUP BY p.origin_county_code, r.name
ORDER BY amount_fen DESC, p.origin_county_code
"""

# $2 supplier (NULL = any), $3 the supplier county's LIKE pattern; households after id $4, keyset
# for the export and OFFSET $6 for the pages. The income line is the one each link keeps.
HOUSEHOLD_BENEFITS = """
SELECT h.id AS household_id, h.household_no, h.village_code, v.name AS village_name,
       string_agg(DISTINCT s.name, '、') AS suppliers,
       COALESCE(sum(l.amount_fen) FILTER (WHERE l.kind = 'purchase_contract'), 0)::bigint AS purchase_contract_fen,
       COALESCE(sum(l.amount_fen) FILTER (WHERE l.kind = 'employment'), 0)::bigint AS employment_fen,
       COALESCE(sum(l.amount_fen) FILTER (WHERE l.kind = 'dividend'), 0)::bigint AS dividend_fen,
       sum(l.amount_fen)::bigint AS total_fen,
       COALESCE(sum(i.amount_fen), 0)::bigint AS income_record_fen,
       count(*) OVER () AS total
FROM supplier_benefit_links l
JOIN suppliers s ON s.id = l.supplier_id
JOIN households h ON h.id = l.household_id
JOIN regions v ON v.code = h.village_code
LEFT JOIN household_income_lines i ON i.benefit_link_id = l.id AND i.year = l.year
WHERE l.year = $1
  AND ($2::bigint IS NULL OR l.supplier_id = $2)
  AND s.county_code LIKE $3
  AND h.id > $4
GROUP BY h.id, v.name
ORDER BY h.id
LIMIT $5 OFFSET $6
"""
