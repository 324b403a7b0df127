// API: the customer 360 in one read, for a query that asks for a customer's profile's
// household: the customer and its profile (api_customer_with_profile), its identifiers
// (api_customer_identifiers), the profile's current household with its decision-maker's
// contact fields (household_by_profiles) and what the decision-maker's records state about
// consent (consent_of_profiles), and every membership of the household with the member's
// profile (api_household_members). Each part is what that query gives, so the resolvers
// answer from it exactly as from the separate reads. No row: no such customer.
MATCH (c:Customer {customerId: $id})
OPTIONAL MATCH (c)-[r:RESOLVES_TO]->(p:Profile)
OPTIONAL MATCH (p)-[cur:MEMBER_OF]->(h:Household)
WHERE cur.status = 'current'
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN properties(c) AS customer, r.confidence AS confidence, properties(p) AS profile,
       [(c)-[:HAS_EMAIL]->(e:Email) | e.email] AS emails,
       [(c)-[:HAS_PHONE]->(ph:Phone) | ph.phone] AS phones,
       [(c)-[:LIVES_AT]->(a:Address) | properties(a)] AS addresses,
       properties(h) AS household,
       dm {.profileId, .firstName, .lastName, .email, .phone, .street, .city, .postcode}
         AS decisionMaker,
       [(dm)<-[:RESOLVES_TO]-(dc:Customer) |
         {subject: dm.profileId, customerId: dc.customerId, updatedAt: dc.updatedAt, basis: dc.consentBasis,
          marketing: dc.marketingConsent, email: dc.emailConsent, phone: dc.phoneConsent,
          sms: dc.smsConsent, post: dc.postConsent, profiling: dc.profilingConsent,
          sharing: dc.sharingConsent,
          statements: [(dc)-[:STATED]->(s:ConsentStatement) | properties(s)]}]
         AS decisionMakerConsent,
       [(q:Profile)-[mm:MEMBER_OF]->(h) |
         {householdId: h.householdId, profileId: q.profileId, membership: properties(mm),
          profile: properties(q)}] AS members
