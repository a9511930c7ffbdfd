AUDIT (
  name assert_positive_amounts,
);

SELECT *
FROM @this_model
WHERE lifetime_spend <= 0
