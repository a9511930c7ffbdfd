MODEL (
  name shop.raw_orders,
  kind SEED (
    path '../seeds/orders.csv'
  ),
  columns (
    order_id INTEGER,
    customer_id INTEGER,
    amount DECIMAL(10, 2),
    ordered_at TIMESTAMP
  ),
  grain order_id,
  description 'Orders as exported from the shop, loaded once from a CSV seed'
);
