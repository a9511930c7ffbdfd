MODEL (
  name shop.minute_heartbeat,
  kind INCREMENTAL_BY_TIME_RANGE (
    time_column minute
  ),
  cron '* * * * *',
  start '1 hour ago',
  grain minute,
  description 'One row per minute: runs every minute so a newcomer sees the schedule move in the Web UI'
);

SELECT
  t.minute,
  (SELECT COUNT(*) FROM shop.raw_orders) AS known_orders
FROM generate_series(
  CAST(@start_ts AS TIMESTAMP),
  CAST(@end_ts AS TIMESTAMP),
  INTERVAL '1 minute'
) AS t(minute)
