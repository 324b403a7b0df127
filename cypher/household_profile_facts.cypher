// Households: what grouping needs of every active profile (golden surname, birth date and
// address; the accounts with roles, devices, phones and e-mails of its records; spend).
// (Each pattern comprehension has its own variable names: FalkorDB returns an empty list
// for a comprehension that reuses a name an earlier one in the same RETURN bound.)
MATCH (p:Profile)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.lastName AS lastName, p.dateOfBirth AS dateOfBirth,
       p.addressId AS addressId, p.city AS city,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[h:HOLDS]->(a:Account) | [a.accountId, h.role]] AS accounts,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:USES_DEVICE]->(d:Device) | d.deviceId] AS devices,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:HAS_PHONE]->(ph:Phone) | ph.phone] AS phones,
       [(p)<-[:RESOLVES_TO]-(:Customer)-[:HAS_EMAIL]->(em:Email) | em.email] AS emails,
       [(p)<-[:RESOLVES_TO]-(pc:Customer) WHERE pc.postcode IS NOT NULL | pc.postcode] AS postcodes,
       size([(p)<-[:RESOLVES_TO]-(c:Customer) | c.customerId]) AS records,
       reduce(s = 0.0, v IN [(p)<-[:RESOLVES_TO]-(:Customer)-[:PERFORMED]->(i:Interaction)
                             WHERE i.type IN $spendTypes | coalesce(i.value, 0.0)] | s + v) AS spend
