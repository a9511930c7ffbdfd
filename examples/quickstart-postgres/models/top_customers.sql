MODEL (
  name shop.top_customers,
  kind VIEW,
  description 'The five customers who spent the most'
);

SELECT customer_id, lifetime_spend
FROM shop.customer_totals
ORDER BY lifetime_spend DESC
LIMIT 5
