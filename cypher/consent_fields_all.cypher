// Consent, for the households batch: every record with a consent field, with the profile it
// resolves to, in one scan of the records instead of a read per profile (most records state
// nothing). Each field as the text 'true' or 'false' (null: no boolean there), so that the
// whole answer is texts, which the store moves fastest (read_texts); the statements recorded
// over the API are read apart (consent_statements_all).
MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)
WHERE c.marketingConsent IS NOT NULL OR c.emailConsent IS NOT NULL
      OR c.phoneConsent IS NOT NULL OR c.smsConsent IS NOT NULL OR c.postConsent IS NOT NULL
      OR c.profilingConsent IS NOT NULL OR c.sharingConsent IS NOT NULL
RETURN p.profileId AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis,
       CASE c.marketingConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS marketing,
       CASE c.emailConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS email,
       CASE c.phoneConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS phone,
       CASE c.smsConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS sms,
       CASE c.postConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS post,
       CASE c.profilingConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS profiling,
       CASE c.sharingConsent WHEN true THEN 'true' WHEN false THEN 'false' END AS sharing
