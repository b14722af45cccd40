-- Voordeur: the dashboard's headline figures across several instances' exports.
--
-- Every instance writes its anonymous aggregates with `voordeur export-aggregates --out DIR`;
-- put each in a folder of its own under one root: ROOT/<instance id>/flow.parquet and
-- ROOT/<instance id>/headlines.parquet. Then, in DuckDB:
--
--   .read voordeur.sql
--   FROM voordeur_headlines('ROOT', DATE '2026-01-01', DATE '2026-12-01');
--   FROM voordeur_headlines_by_instance('ROOT', DATE '2026-01-01', DATE '2026-12-01');
--   FROM voordeur_route_mix('ROOT', DATE '2026-01-01', DATE '2026-12-01');
--
-- Months are given by their first day, both ends included. The figures are defined in
-- portal/evaluation/headlines.py (without_visit, econsult_on_time, contacts_avoided,
-- selfhelp_held, selfhelp_helped) and portal/evaluation/stats.py (triage against the assistant's
-- decision: triage_agreement, over_triage, under_triage); `value` is part / whole.
-- selfhelp_held counts a month's self-care triages only up to 14 days before its export (younger
-- ones may still be marked returned); a month wholly within those 14 days has no selfhelp_held row.
--
-- Small numbers. An instance exports a cell below its threshold (`min_cell`, 10) without its
-- number, and a figure whose denominator is below it without part and whole, exactly as its
-- dashboard and CSV export hide them. Here such rows are left out of every sum — never added
-- to other small cells to make a number that can be shown — and counted in `suppressed`, so
-- a reader sees how much is missing: a combined count is then a lower bound. A combined
-- figure whose combined denominator is still below the threshold is hidden again (value NULL).

CREATE OR REPLACE MACRO voordeur_headline_rows(root, first_month, last_month) AS TABLE
    SELECT * FROM read_parquet(root || '/*/headlines.parquet')
    WHERE month BETWEEN first_month AND last_month;

CREATE OR REPLACE MACRO voordeur_flow_rows(root, first_month, last_month) AS TABLE
    SELECT * FROM read_parquet(root || '/*/flow.parquet')
    WHERE month BETWEEN first_month AND last_month;

-- Per instance: each figure over the months, from the rows it did not suppress.
CREATE OR REPLACE MACRO voordeur_headlines_by_instance(root, first_month, last_month) AS TABLE
    WITH sums AS (
        SELECT instance_id, instance_name, figure,
               coalesce(sum(part) FILTER (WHERE NOT suppressed), 0) AS part,
               coalesce(sum(whole) FILTER (WHERE NOT suppressed), 0) AS whole,
               count(*) FILTER (WHERE suppressed) AS suppressed,
               max(min_cell) AS min_cell
        FROM voordeur_headline_rows(root, first_month, last_month)
        GROUP BY instance_id, instance_name, figure
    )
    SELECT s.instance_id, s.instance_name, s.figure, s.part, s.whole,
           CASE WHEN s.whole >= s.min_cell THEN s.part / s.whole END AS value,
           -- contacts_avoided: the share applied to every finished triage (without_visit's whole)
           CASE WHEN s.figure = 'contacts_avoided' AND s.whole >= s.min_cell
                THEN round_even(s.part / s.whole * f.whole, 0)::BIGINT END AS estimate,
           s.suppressed
    FROM sums s
    LEFT JOIN sums f ON f.instance_id = s.instance_id AND f.figure = 'without_visit'
    ORDER BY s.instance_id, list_position(['without_visit', 'econsult_on_time', 'contacts_avoided',
        'selfhelp_held', 'selfhelp_helped', 'triage_agreement', 'over_triage', 'under_triage'], s.figure);

-- All instances together: the sums of every instance's parts and wholes.
CREATE OR REPLACE MACRO voordeur_headlines(root, first_month, last_month) AS TABLE
    WITH sums AS (
        SELECT figure,
               coalesce(sum(part) FILTER (WHERE NOT suppressed), 0) AS part,
               coalesce(sum(whole) FILTER (WHERE NOT suppressed), 0) AS whole,
               count(*) FILTER (WHERE suppressed) AS suppressed,
               count(DISTINCT instance_id) AS instances,
               max(min_cell) AS min_cell
        FROM voordeur_headline_rows(root, first_month, last_month)
        GROUP BY figure
    )
    SELECT s.figure, s.part, s.whole,
           CASE WHEN s.whole >= s.min_cell THEN s.part / s.whole END AS value,
           CASE WHEN s.figure = 'contacts_avoided' AND s.whole >= s.min_cell
                THEN round_even(s.part / s.whole * f.whole, 0)::BIGINT END AS estimate,
           s.instances, s.suppressed
    FROM sums s
    LEFT JOIN sums f ON f.figure = 'without_visit'
    ORDER BY list_position(['without_visit', 'econsult_on_time', 'contacts_avoided',
        'selfhelp_held', 'selfhelp_helped', 'triage_agreement', 'over_triage', 'under_triage'], s.figure);

-- Route mix of finished triages over all instances, from the cells shown; `suppressed` counts
-- the cells left out.
CREATE OR REPLACE MACRO voordeur_route_mix(root, first_month, last_month) AS TABLE
    WITH per_route AS (
        SELECT route,
               coalesce(sum(n) FILTER (WHERE NOT suppressed), 0) AS n,
               count(*) FILTER (WHERE suppressed) AS suppressed,
               max(min_cell) AS min_cell
        FROM voordeur_flow_rows(root, first_month, last_month)
        GROUP BY route
    )
    SELECT route, n,
           CASE WHEN sum(n) OVER () >= min_cell THEN n / sum(n) OVER () END AS share,
           suppressed
    FROM per_route
    ORDER BY list_position(['emergency', 'urgent', 'appointment', 'econsult', 'self_care', 'social_domain'], route);
