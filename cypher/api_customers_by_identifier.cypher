// API: customers linked to the declared Identifier $value (its key, `type:value`, the value
// already normalised), ordered by customerId, after the keyset cursor $after; $limit = page
// size + 1 (see api_customer_interactions).
MATCH (:Identifier {identifierId: $value})<-[:HAS_IDENTIFIER]-(c:Customer)
WHERE $after IS NULL OR c.customerId > $after
WITH c
ORDER BY c.customerId
WITH collect(properties(c))[..$limit] AS page
UNWIND page AS customer
RETURN customer
