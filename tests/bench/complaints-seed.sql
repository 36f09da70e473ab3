-- Fills a complaints database (migrated by the service) with a year of history for the
-- figures benchmark: 1,000,000 work orders opened through 2026 at 191 branches in 80
-- cities of 31 provinces, the visit counts of those branches for every day of 2026, and
-- the branches' local copies. Deterministic (setseed). Runs in one psql session:
--
--   psql "$URL" -X -v ON_ERROR_STOP=1 -f tests/bench/complaints-seed.sql
--
-- Shape of the data:
--   * rows are inserted in time order, 2,740 per day, opened 07:30–18:30 CST (triangular,
--     most around 13:00), as a live table fills; branches weighted 0.6–2.2 (capital-city
--     branches larger);
--   * kind: complaint 55 %, suggestion 15 %, praise 12 %, request for help 18 %; 4 % of the
--     complaints are automatic (broken wait promise: channel AUTOMATIC, source visit:…);
--     channel: hotline 35 %, WeChat 20 %, on site 20 %, online 15 %, branch system 6 %,
--     survey 4 %; category: waiting time 25 %, attitude 20 %, billing 13 %, report accuracy
--     12 %, environment / medical care / other 10 % each (praise: attitude, care, environment);
--     severity: low 30 %, medium 50 %, high 15 %, critical 5 % (praise and suggestions low);
--   * status: opened before 2026-11-01: 86 % closed, 11 % resolved, the rest still open;
--     later: 30 % closed, 25 % resolved, 45 % open in the four open states;
--   * level: 86 % branch, 8 % city, 4 % province, 2 % group; escalated rows are breached, and
--     so are branch-level rows that took over ~42 h to resolve (about 7 %);
--   * minutes to acknowledge 2 + 300·u³ (median ≈ 40, p90 ≈ 220); to resolve that plus
--     30 + 2,880·u² (doubled when escalated); closed 1–4 days after resolution; 60 % of
--     closed rows carry a satisfaction score (5: 45 %, 4: 30 %, 3: 12 %, 2: 8 %, 1: 5 %);
--   * no seeded row has a pending timer (next_timer_at NULL), so the service's SLA sweeper
--     leaves history alone while the benchmark runs.
\set ON_ERROR_STOP on
\timing on
SELECT setseed(0.2026);

CREATE TEMP TABLE seed_geo (p int, province text, cities text[]);
INSERT INTO seed_geo VALUES
  (1, 'beijing', '{chaoyang,haidian,dongcheng,xicheng}'),
  (2, 'shanghai', '{pudong,xuhui,jingan,minhang}'),
  (3, 'tianjin', '{heping,nankai}'),
  (4, 'chongqing', '{yuzhong,jiangbei,yubei}'),
  (5, 'hebei', '{shijiazhuang,tangshan,baoding}'),
  (6, 'shanxi', '{taiyuan,datong}'),
  (7, 'neimenggu', '{hohhot,baotou}'),
  (8, 'liaoning', '{shenyang,dalian,anshan}'),
  (9, 'jilin', '{changchun,jilin}'),
  (10, 'heilongjiang', '{harbin,daqing}'),
  (11, 'jiangsu', '{nanjing,suzhou,wuxi,changzhou,nantong}'),
  (12, 'zhejiang', '{hangzhou,ningbo,wenzhou,shaoxing,jiaxing}'),
  (13, 'anhui', '{hefei,wuhu}'),
  (14, 'fujian', '{fuzhou,xiamen,quanzhou}'),
  (15, 'jiangxi', '{nanchang,ganzhou}'),
  (16, 'shandong', '{jinan,qingdao,yantai,weifang}'),
  (17, 'henan', '{zhengzhou,luoyang,nanyang}'),
  (18, 'hubei', '{wuhan,yichang,xiangyang}'),
  (19, 'hunan', '{changsha,zhuzhou}'),
  (20, 'guangdong', '{guangzhou,shenzhen,dongguan,foshan,zhuhai}'),
  (21, 'guangxi', '{nanning,liuzhou,guilin}'),
  (22, 'hainan', '{haikou,sanya}'),
  (23, 'sichuan', '{chengdu,mianyang}'),
  (24, 'guizhou', '{guiyang,zunyi}'),
  (25, 'yunnan', '{kunming,dali}'),
  (26, 'shaanxi', '{xian,baoji}'),
  (27, 'gansu', '{lanzhou}'),
  (28, 'qinghai', '{xining}'),
  (29, 'ningxia', '{yinchuan}'),
  (30, 'xinjiang', '{urumqi,kashgar}'),
  (31, 'xizang', '{lhasa}');

-- Three branches in each capital city, two in every other city.
CREATE TEMP TABLE seed_branches AS
  SELECT row_number() OVER (ORDER BY g.p, c.ord, k) AS n, g.province, c.city, k, c.ord = 1 AS capital
  FROM seed_geo g, unnest(g.cities) WITH ORDINALITY AS c(city, ord),
       generate_series(1, CASE WHEN c.ord = 1 THEN 3 ELSE 2 END) AS k;
ALTER TABLE seed_branches ADD COLUMN id text, ADD COLUMN code text, ADD COLUMN name text,
  ADD COLUMN weight float8;
UPDATE seed_branches SET id = 'br_' || md5('seed-branch-' || n), code = 'BR-' || lpad(n::text, 3, '0'),
  name = initcap(city) || '第' || k || '分院',
  weight = CASE WHEN capital THEN 1.5 ELSE 1.0 END * (0.6 + 0.8 * random());

-- 10,000 picks, each branch by its weight: a row goes to the branch of pick floor(u · 10,000).
CREATE TEMP TABLE seed_pick AS
  WITH w AS (SELECT n, sum(weight) OVER (ORDER BY n) / sum(weight) OVER () AS hi FROM seed_branches)
  SELECT k, (SELECT n FROM w WHERE hi >= (k + 0.5) / 10000.0 ORDER BY n LIMIT 1) AS n
  FROM generate_series(0, 9999) AS k;

INSERT INTO branches (id, code, name, province, city, time_zone, opening_hours, holidays, version, fetched_at)
  SELECT id, code, name, province, city, 'Asia/Shanghai',
         '1=450-1050;2=450-1050;3=450-1050;4=450-1050;5=450-1050;6=450-720;7=450-720',
         '2026-01-01,2026-02-16,2026-02-17,2026-02-18,2026-10-01,2026-10-02,2026-10-05', 1, 0
  FROM seed_branches
  ON CONFLICT (id) DO NOTHING;

INSERT INTO work_orders (id, request_id, channel, kind, category, severity, status, level,
  customer_id, customer_name, customer_phone, customer_masked, branch_id, branch_code,
  branch_name, province, city, region_path, appointment_id, staff_ids, summary, description,
  assignee, source, ack_due_at, ack_warn_at, resolve_due_at, resolve_warn_at, paused_at,
  resolve_left_min, next_timer_at, breached, root_cause, corrective_action, substantiated,
  resolved_by, resolved_at, satisfaction, version, created_at, updated_at, acknowledged_at,
  closed_at)
SELECT
  'wo_' || lpad(to_hex(created_at), 14, '0') || lpad(to_hex(i), 18, '0'),
  'seed-' || i, channel, kind, category, severity, status, level,
  CASE WHEN r_cust < 0.4 THEN 'cus_' || lpad(to_hex(i * 7919), 32, '0') ELSE '' END,
  (ARRAY['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周'])[(1 + i % 10)::int]
    || (ARRAY['先生', '女士'])[(1 + (i / 10) % 2)::int],
  phone, substr(phone, 1, 3) || '****' || substr(phone, 8, 4),
  branch_id, branch_code, branch_name, province, city, province || '/' || city,
  CASE WHEN auto OR r_cust < 0.7 THEN 'apt_' || lpad(to_hex(i * 104729), 32, '0') ELSE '' END,
  CASE WHEN category = 'ATTITUDE' THEN 'staff_' || (i * 31 % 6000) ELSE '' END,
  CASE category
    WHEN 'WAITING_TIME' THEN '候诊时间过长，超过承诺等待时间'
    WHEN 'ATTITUDE' THEN '前台接待态度生硬'
    WHEN 'BILLING' THEN '套餐收费与预约时报价不一致'
    WHEN 'REPORT_ACCURACY' THEN '体检报告数值与复查结果不符'
    WHEN 'ENVIRONMENT' THEN '候诊区拥挤、空调过冷'
    WHEN 'MEDICAL_CARE' THEN '抽血后淤青，医护未做处理说明'
    ELSE '停车位不足，指引不清' END,
  CASE WHEN r_text < 0.5 THEN ''
    ELSE '客户反映：到店后按预约时间签到，等待较久且无人解释原因，希望改进流程并回电说明。' END,
  CASE WHEN status <> 'NEW' THEN 'staff_' || (i * 17 % 6000) ELSE '' END,
  CASE WHEN auto THEN 'visit:apt_' || lpad(to_hex(i * 104729), 32, '0') END,
  CASE WHEN status = 'NEW' THEN created_at + 14400000000 END,
  CASE WHEN status = 'NEW' THEN created_at + 11520000000 END,
  CASE WHEN status IN ('NEW', 'ACKNOWLEDGED', 'IN_PROGRESS') THEN created_at + 86400000000 END,
  CASE WHEN status IN ('NEW', 'ACKNOWLEDGED', 'IN_PROGRESS') THEN created_at + 69120000000 END,
  CASE WHEN status = 'WAITING_ON_CUSTOMER' THEN ack_at + 3600000000 END,
  CASE WHEN status = 'WAITING_ON_CUSTOMER' THEN 600 END,
  NULL,
  breached::int,
  CASE WHEN res_at IS NOT NULL THEN '流程与排班' ELSE '' END,
  CASE WHEN res_at IS NOT NULL THEN '已致歉并调整排班，加开窗口' ELSE '' END,
  CASE WHEN res_at IS NOT NULL AND kind = 'COMPLAINT' AND r_sc < 0.5 THEN 1 ELSE 0 END,
  CASE WHEN res_at IS NOT NULL THEN 'staff_' || (i * 17 % 6000) ELSE '' END,
  res_at,
  CASE WHEN status = 'CLOSED' AND r_sat < 0.6 THEN
    CASE WHEN r_sc < 0.45 THEN 5 WHEN r_sc < 0.75 THEN 4 WHEN r_sc < 0.87 THEN 3 WHEN r_sc < 0.95 THEN 2 ELSE 1 END
    ELSE 0 END,
  CASE status WHEN 'NEW' THEN 1 WHEN 'ACKNOWLEDGED' THEN 2 WHEN 'IN_PROGRESS' THEN 3 ELSE 4 END
    + CASE level WHEN 'BRANCH' THEN 0 WHEN 'CITY' THEN 1 WHEN 'PROVINCE' THEN 2 ELSE 3 END
    + CASE WHEN status = 'CLOSED' THEN 1 ELSE 0 END,
  created_at,
  greatest(created_at, ack_at, res_at, closed_at),
  ack_at,
  closed_at
FROM (
  SELECT d.*,
         CASE WHEN res_at IS NOT NULL AND status = 'CLOSED' THEN res_at + ((1 + 3 * r_text) * 86400000000)::bigint END AS closed_at
  FROM (
    SELECT c.*,
           CASE WHEN status <> 'NEW' THEN created_at + (ack_min * 60000000)::bigint END AS ack_at,
           CASE WHEN status IN ('RESOLVED', 'CLOSED') THEN created_at
             + ((ack_min + (30 + 2880 * r_res ^ 2) * CASE WHEN level = 'BRANCH' THEN 1 ELSE 2 END) * 60000000)::bigint END AS res_at,
           level <> 'BRANCH' OR r_res > 0.93 AS breached
    FROM (
      SELECT b.*,
             CASE WHEN auto THEN 'AUTOMATIC' WHEN r_ch < 0.35 THEN 'HOTLINE' WHEN r_ch < 0.55 THEN 'WECHAT'
                  WHEN r_ch < 0.75 THEN 'ON_SITE' WHEN r_ch < 0.90 THEN 'ONLINE' WHEN r_ch < 0.96 THEN 'BRANCH_SYSTEM'
                  ELSE 'SURVEY' END AS channel,
             CASE WHEN auto THEN 'WAITING_TIME'
                  WHEN kind = 'PRAISE' THEN CASE WHEN r_cat < 0.5 THEN 'ATTITUDE' WHEN r_cat < 0.8 THEN 'MEDICAL_CARE' ELSE 'ENVIRONMENT' END
                  WHEN r_cat < 0.25 THEN 'WAITING_TIME' WHEN r_cat < 0.45 THEN 'ATTITUDE' WHEN r_cat < 0.58 THEN 'BILLING'
                  WHEN r_cat < 0.70 THEN 'REPORT_ACCURACY' WHEN r_cat < 0.80 THEN 'ENVIRONMENT' WHEN r_cat < 0.90 THEN 'MEDICAL_CARE'
                  ELSE 'OTHER' END AS category,
             CASE WHEN kind IN ('PRAISE', 'SUGGESTION') OR r_sev < 0.30 THEN 'LOW' WHEN r_sev < 0.80 THEN 'MEDIUM'
                  WHEN r_sev < 0.95 THEN 'HIGH' ELSE 'CRITICAL' END AS severity,
             CASE WHEN created_at < 1793462400000000 THEN   -- 2026-11-01 00:00 CST
                    CASE WHEN r_st < 0.86 THEN 'CLOSED' WHEN r_st < 0.97 THEN 'RESOLVED' WHEN r_st < 0.985 THEN 'IN_PROGRESS'
                         WHEN r_st < 0.99 THEN 'WAITING_ON_CUSTOMER' WHEN r_st < 0.995 THEN 'ACKNOWLEDGED' ELSE 'NEW' END
                  ELSE
                    CASE WHEN r_st < 0.30 THEN 'CLOSED' WHEN r_st < 0.55 THEN 'RESOLVED' WHEN r_st < 0.75 THEN 'IN_PROGRESS'
                         WHEN r_st < 0.80 THEN 'WAITING_ON_CUSTOMER' WHEN r_st < 0.90 THEN 'ACKNOWLEDGED' ELSE 'NEW' END
             END AS status,
             CASE WHEN kind = 'PRAISE' OR r_lvl < 0.86 THEN 'BRANCH' WHEN r_lvl < 0.94 THEN 'CITY'
                  WHEN r_lvl < 0.98 THEN 'PROVINCE' ELSE 'GROUP' END AS level,
             2 + 300 * r_ack ^ 3 AS ack_min,
             '13' || lpad(((i * 2654435761) % 1000000000)::text, 9, '0') AS phone
      FROM (
        SELECT g.*,
               a.ids[a.picks[1 + floor(g.r_br * 10000)::int]] AS branch_id,
               a.codes[a.picks[1 + floor(g.r_br * 10000)::int]] AS branch_code,
               a.names[a.picks[1 + floor(g.r_br * 10000)::int]] AS branch_name,
               a.provinces[a.picks[1 + floor(g.r_br * 10000)::int]] AS province,
               a.cities[a.picks[1 + floor(g.r_br * 10000)::int]] AS city,
               CASE WHEN r_kind < 0.55 THEN 'COMPLAINT' WHEN r_kind < 0.70 THEN 'SUGGESTION'
                    WHEN r_kind < 0.82 THEN 'PRAISE' ELSE 'REQUEST_FOR_HELP' END AS kind,
               r_kind < 0.55 AND r_auto < 0.04 AS auto
        FROM (
          SELECT i::bigint AS i,
                 1767196800000000                                   -- 2026-01-01 00:00 CST
                   + ((i - 1) * 365 / 1000000)::bigint * 86400000000
                   + 27000000000 + ((random() + random()) / 2 * 39600000000)::bigint AS created_at,
                 random() AS r_kind, random() AS r_auto, random() AS r_ch, random() AS r_cat,
                 random() AS r_sev, random() AS r_st, random() AS r_lvl, random() AS r_br,
                 random() AS r_ack, random() AS r_res, random() AS r_sat, random() AS r_sc,
                 random() AS r_cust, random() AS r_text
          FROM generate_series(1, 1000000) AS i
        ) g
        -- Lookups through arrays (one row, a nested loop) keep generate_series' order, so
        -- the heap fills in time order as a live table does; a join could reorder it.
        CROSS JOIN (
          SELECT (SELECT array_agg(n::int ORDER BY k) FROM seed_pick) AS picks,
                 array_agg(id ORDER BY n) AS ids, array_agg(code ORDER BY n) AS codes,
                 array_agg(name ORDER BY n) AS names, array_agg(province ORDER BY n) AS provinces,
                 array_agg(city ORDER BY n) AS cities
          FROM seed_branches
        ) a
      ) b
    ) c
  ) d
) e;

-- Completed visits per branch and day: about 1,200 × the branch's weight, fewer on Sundays.
INSERT INTO visit_days (branch_id, province, region_path, day, visits)
  SELECT b.id, b.province, b.province || '/' || b.city, to_char(d, 'YYYY-MM-DD'),
         round(b.weight * 1200 * CASE WHEN extract(isodow FROM d) = 7 THEN 0.6 ELSE 1 END
               * (0.8 + 0.4 * random()))::bigint
  FROM seed_branches b, generate_series(date '2026-01-01', date '2026-12-31', interval '1 day') AS d
  ON CONFLICT (branch_id, day) DO NOTHING;

-- A year-old table has been vacuumed and analysed by autovacuum; do both now.
VACUUM ANALYZE work_orders;
VACUUM ANALYZE visit_days;
VACUUM ANALYZE branches;
