// Records sharing any blocking key with a new record, with the key they share (at most 50
// per key: a bigger block is a common value, weak evidence; the count of bkFormalNames rows
// is the name frequency the model compares).
MATCH (c:Customer {email: $email})
RETURN c.customerId AS customerId, 'email' AS key
LIMIT 50
UNION
MATCH (c:Customer {phone: $phone})
RETURN c.customerId AS customerId, 'phone' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkAddressInitial: $bkAddressInitial})
RETURN c.customerId AS customerId, 'bkAddressInitial' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkDobLast: $bkDobLast})
RETURN c.customerId AS customerId, 'bkDobLast' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkDobFirst: $bkDobFirst})
RETURN c.customerId AS customerId, 'bkDobFirst' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkDobAnyOrder: $bkDobAnyOrder})
RETURN c.customerId AS customerId, 'bkDobAnyOrder' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkNamesPostcode: $bkNamesPostcode})
RETURN c.customerId AS customerId, 'bkNamesPostcode' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkNamesCity: $bkNamesCity})
RETURN c.customerId AS customerId, 'bkNamesCity' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkLastPostcode: $bkLastPostcode})
RETURN c.customerId AS customerId, 'bkLastPostcode' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkNames: $bkNames})
RETURN c.customerId AS customerId, 'bkNames' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkFormalNames: $bkFormalNames})
RETURN c.customerId AS customerId, 'bkFormalNames' AS key
LIMIT 50
UNION
MATCH (c:Customer {bkPostcodeFormal: $bkPostcodeFormal})
RETURN c.customerId AS customerId, 'bkPostcodeFormal' AS key
LIMIT 50
