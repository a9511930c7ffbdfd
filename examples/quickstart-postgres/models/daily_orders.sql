MODEL (
  name shop.daily_orders,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column order_date,
    batch_size 7
  ),
  cron '@daily',
  grain (order_date),
  audits (not_null(columns := (order_date))),
  description 'Orders and revenue per day, filled one daily interval at a time'
);

SELECT
  CAST(ordered_at AS DATE) AS order_date,
  COUNT(*) AS orders,
  SUM(amount) AS revenue
FROM shop.raw_orders
WHERE ordered_at >= @start_ts AND ordered_at <= @end_ts
GROUP BY 1
