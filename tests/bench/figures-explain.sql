-- EXPLAIN ANALYZE of the statements behind GetFigures (group scope, no narrowing) and
-- GetScorecard (by province) for one period, as services/complaints/src/store/figures.rs
-- builds them on PostgreSQL: the period's bounds are written into the count and
-- percentile statements as integers (micros, China Standard Time); the visit statement
-- binds the days. Run on a seeded database:
--
--   psql "$URL" -X -v from_day=2026-06-01 -v to_day=2026-06-30 -f tests/bench/figures-explain.sql
\set ON_ERROR_STOP on
SELECT (extract(epoch FROM (:'from_day' || ' 00:00:00+08')::timestamptz) * 1000000)::bigint AS from_us,
       (extract(epoch FROM ((:'to_day'::date + 1) || ' 00:00:00+08')::timestamptz) * 1000000)::bigint AS to_us
\gset
SELECT count(*) AS work_orders_in_period FROM work_orders
  WHERE created_at >= :from_us AND created_at < :to_us;
SELECT count(*) AS work_orders_total, pg_size_pretty(pg_table_size('work_orders')) AS heap,
       pg_size_pretty(pg_indexes_size('work_orders')) AS indexes FROM work_orders;

\echo '--- GetFigures 1/3: counts (store::figures::counts, GroupBy::Nothing)'
EXPLAIN (ANALYZE, BUFFERS)
SELECT '' AS grp, kind, category, status, level, COUNT(*) AS n, CAST(SUM(breached) AS BIGINT) AS breached, CAST(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS resolved, CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND breached = 0 THEN 1 ELSE 0 END) AS BIGINT) AS in_time, CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND level = 'BRANCH' THEN 1 ELSE 0 END) AS BIGINT) AS in_branch, CAST(SUM(CASE WHEN kind = 'COMPLAINT' AND channel <> 'AUTOMATIC' THEN 1 ELSE 0 END) AS BIGINT) AS complaints, CAST(SUM(satisfaction) AS BIGINT) AS sat_sum, CAST(SUM(CASE WHEN satisfaction > 0 THEN 1 ELSE 0 END) AS BIGINT) AS sat_n FROM work_orders WHERE created_at >= :from_us AND created_at < :to_us GROUP BY kind, category, status, level;

\echo '--- GetFigures 2/3: percentiles (store::figures::quantiles, GroupBy::Nothing)'
EXPLAIN (ANALYZE, BUFFERS)
SELECT '' AS grp, percentile_disc(0.5) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a50, percentile_disc(0.9) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a90, percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r50, percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r90 FROM work_orders WHERE created_at >= :from_us AND created_at < :to_us ;

\echo '--- GetFigures 3/3: visits (store::figures::visits, GroupBy::Nothing)'
EXPLAIN (ANALYZE, BUFFERS)
SELECT '' AS grp, CAST(SUM(visits) AS BIGINT) AS n FROM visit_days WHERE day >= :'from_day' AND day <= :'to_day' ;

\echo '--- GetScorecard 1/3: counts by province'
EXPLAIN (ANALYZE, BUFFERS)
SELECT province AS grp, kind, category, status, level, COUNT(*) AS n, CAST(SUM(breached) AS BIGINT) AS breached, CAST(SUM(CASE WHEN resolved_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS resolved, CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND breached = 0 THEN 1 ELSE 0 END) AS BIGINT) AS in_time, CAST(SUM(CASE WHEN resolved_at IS NOT NULL AND level = 'BRANCH' THEN 1 ELSE 0 END) AS BIGINT) AS in_branch, CAST(SUM(CASE WHEN kind = 'COMPLAINT' AND channel <> 'AUTOMATIC' THEN 1 ELSE 0 END) AS BIGINT) AS complaints, CAST(SUM(satisfaction) AS BIGINT) AS sat_sum, CAST(SUM(CASE WHEN satisfaction > 0 THEN 1 ELSE 0 END) AS BIGINT) AS sat_n FROM work_orders WHERE created_at >= :from_us AND created_at < :to_us GROUP BY province, kind, category, status, level;

\echo '--- GetScorecard 2/3: percentiles by province'
EXPLAIN (ANALYZE, BUFFERS)
SELECT province AS grp, percentile_disc(0.5) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a50, percentile_disc(0.9) WITHIN GROUP (ORDER BY acknowledged_at - created_at) AS a90, percentile_disc(0.5) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r50, percentile_disc(0.9) WITHIN GROUP (ORDER BY resolved_at - created_at) AS r90 FROM work_orders WHERE created_at >= :from_us AND created_at < :to_us GROUP BY province;

\echo '--- GetScorecard 3/3: visits by province'
EXPLAIN (ANALYZE, BUFFERS)
SELECT province AS grp, CAST(SUM(visits) AS BIGINT) AS n FROM visit_days WHERE day >= :'from_day' AND day <= :'to_day' GROUP BY province;
