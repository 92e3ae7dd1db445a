-- Per-customer summaries (x, t_x, T, monetary, first_spend, holdout actuals) as ONE standard SQL
-- query, so the summary step can run where the data lives. Same conventions as summaries.ts:
-- purchases on one day count once (amounts summed); x = repeat purchase days up to the
-- calibration end (inclusive); t_x and T in days / unit_days; customers first seen after the
-- calibration end are left out; transactions after the holdout end are ignored.
--
-- Input: a table or view  transactions(customer_id, tx_date, amount)  (tx_date a DATE or a
-- timestamp/text castable to DATE).
-- Parameters: $1 calibration end 'YYYY-MM-DD', $2 holdout end 'YYYY-MM-DD' (pass $1 again when
-- there is no holdout), $3 days per time unit (1 or 7).
-- Portability: only CAST, CASE, MIN/MAX/SUM/COUNT, a window MIN and DATE - DATE (whole days) are
-- used; checked on DuckDB and PostgreSQL. Placeholders are written $1..$3 (DuckDB, Postgres); a
-- warehouse that binds parameters differently (BigQuery @name, Spark :name or literals) needs only
-- those three tokens replaced, and one that lacks DATE - DATE (BigQuery, Spark: DATE_DIFF /
-- DATEDIFF) only the two marked day differences.
WITH params AS (
  SELECT
    CAST($1 AS DATE) AS calibration_end,
    CAST($2 AS DATE) AS holdout_end,
    CAST($3 AS DOUBLE PRECISION) AS unit_days
),
purchase_days AS (
  -- one row per customer and purchase day
  SELECT
    CAST(t.customer_id AS VARCHAR(255)) AS customer_id,
    CAST(t.tx_date AS DATE) AS purchase_day,
    SUM(CAST(t.amount AS DOUBLE PRECISION)) AS spend
  FROM transactions AS t
  CROSS JOIN params AS p
  WHERE CAST(t.tx_date AS DATE) <= p.holdout_end
  GROUP BY CAST(t.customer_id AS VARCHAR(255)), CAST(t.tx_date AS DATE)
),
with_first AS (
  SELECT
    d.customer_id,
    d.purchase_day,
    d.spend,
    MIN(d.purchase_day) OVER (PARTITION BY d.customer_id) AS first_day
  FROM purchase_days AS d
),
per_customer AS (
  SELECT
    w.customer_id,
    w.first_day,
    SUM(CASE WHEN w.purchase_day > w.first_day AND w.purchase_day <= p.calibration_end
      THEN 1 ELSE 0 END) AS repeat_days,
    SUM(CASE WHEN w.purchase_day > w.first_day AND w.purchase_day <= p.calibration_end
      THEN w.spend ELSE 0 END) AS repeat_spend,
    MAX(CASE WHEN w.purchase_day <= p.calibration_end THEN w.purchase_day END) AS last_day,
    SUM(CASE WHEN w.purchase_day = w.first_day THEN w.spend ELSE 0 END) AS first_spend,
    SUM(CASE WHEN w.purchase_day > p.calibration_end THEN 1 ELSE 0 END) AS holdout_days,
    SUM(CASE WHEN w.purchase_day > p.calibration_end THEN w.spend ELSE 0 END) AS holdout_spend
  FROM with_first AS w
  CROSS JOIN params AS p
  WHERE w.first_day <= p.calibration_end
  GROUP BY w.customer_id, w.first_day
)
SELECT
  c.customer_id,
  CAST(c.repeat_days AS DOUBLE PRECISION) AS x,
  (c.last_day - c.first_day) / p.unit_days AS t_x, -- day difference
  (p.calibration_end - c.first_day) / p.unit_days AS "T", -- day difference
  CASE WHEN c.repeat_days > 0
    THEN CAST(c.repeat_spend AS DOUBLE PRECISION) / c.repeat_days ELSE 0 END AS monetary,
  CAST(c.first_spend AS DOUBLE PRECISION) AS first_spend,
  CAST(c.holdout_days AS DOUBLE PRECISION) AS holdout_purchases,
  CAST(c.holdout_spend AS DOUBLE PRECISION) AS holdout_spend
FROM per_customer AS c
CROSS JOIN params AS p
ORDER BY c.customer_id
