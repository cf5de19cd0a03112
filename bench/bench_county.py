"""The county the API benchmarks seed: one province, city and county (450102), 10 townships of 20
villages each."""

REGIONS_SQL = """
        INSERT INTO regions (code, name, level, parent_code, prefix) VALUES
            ('450000000000', '省', 'province', NULL, '45'),
            ('450100000000', '市', 'city', '450000000000', '4501'),
            ('450102000000', '县', 'county', '450100000000', '450102');
        INSERT INTO regions (code, name, level, parent_code, prefix)
        SELECT '450102' || lpad(t::text, 3, '0') || '000', '镇' || t, 'township', '450102000000',
               '450102' || lpad(t::text, 3, '0')
        FROM generate_series(1, 10) AS t;
        INSERT INTO regions (code, name, level, parent_code, prefix)
        SELECT '450102' || lpad(t::text, 3, '0') || lpad(v::text, 3, '0'), '村' || t || '-' || v, 'village',
               '450102' || lpad(t::text, 3, '0') || '000', '450102' || lpad(t::text, 3, '0') || lpad(v::text, 3, '0')
        FROM generate_series(1, 10) AS t, generate_series(1, 20) AS v;
"""
