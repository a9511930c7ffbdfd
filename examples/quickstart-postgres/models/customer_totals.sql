MODEL (
  name shop.customer_totals,
  kind FULL,
  cron '@hourly',
  grain customer_id,
  audits (assert_positive_amounts),
  description 'Lifetime orders and spend per customer, rebuilt every hour'
);

SELECT
  customer_id,
  COUNT(*) AS orders,
  SUM(amount) AS lifetime_spend,
  MAX(ordered_at) AS last_order_at
FROM shop.raw_orders
GROUP BY customer_id
