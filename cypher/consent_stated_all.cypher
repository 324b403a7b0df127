// Consent, for the households batch: every record that states something (a consent field,
// or a statement recorded over the API) with the profile it resolves to, in one scan of the
// records instead of a read per profile (most records state nothing). Rows as
// consent_of_profiles'. The halves are disjoint: records with a consent field, then records
// with statements and no consent field.
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
WHERE c.marketingConsent IS NOT NULL OR c.emailConsent IS NOT NULL
      OR c.phoneConsent IS NOT NULL OR c.smsConsent IS NOT NULL OR c.postConsent IS NOT NULL
      OR c.profilingConsent IS NOT NULL OR c.sharingConsent IS NOT NULL
RETURN p.profileId AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis, c.marketingConsent AS marketing, c.emailConsent AS email,
       c.phoneConsent AS phone, c.smsConsent AS sms, c.postConsent AS post,
       c.profilingConsent AS profiling, c.sharingConsent AS sharing,
       [(c)-[:STATED]->(s:ConsentStatement) | properties(s)] AS statements
UNION ALL
MATCH (c:Customer)-[:STATED]->(:ConsentStatement)
WITH DISTINCT c
WHERE c.marketingConsent IS NULL AND c.emailConsent IS NULL AND c.phoneConsent IS NULL
      AND c.smsConsent IS NULL AND c.postConsent IS NULL AND c.profilingConsent IS NULL
      AND c.sharingConsent IS NULL
MATCH (c)-[:RESOLVES_TO]->(p:Profile)
RETURN p.profileId AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis, c.marketingConsent AS marketing, c.emailConsent AS email,
       c.phoneConsent AS phone, c.smsConsent AS sms, c.postConsent AS post,
       c.profilingConsent AS profiling, c.sharingConsent AS sharing,
       [(c)-[:STATED]->(s:ConsentStatement) | properties(s)] AS statements
