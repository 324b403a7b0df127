// Records sharing any blocking key with a new record (at most 50 per key: a bigger block is a common value, weak evidence).
MATCH (c:Customer {email: $email})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {phone: $phone})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkAddressInitial: $bkAddressInitial})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkDobLast: $bkDobLast})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkDobFirst: $bkDobFirst})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkDobAnyOrder: $bkDobAnyOrder})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkNamesPostcode: $bkNamesPostcode})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkNamesCity: $bkNamesCity})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkLastPostcode: $bkLastPostcode})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkNames: $bkNames})
RETURN c.customerId AS customerId
LIMIT 50
UNION
MATCH (c:Customer {bkFormalNames: $bkFormalNames})
RETURN c.customerId AS customerId
LIMIT 50
