// Consent, for the households batch: every statement recorded over the API, one row each,
// with its record's fields and the profile the record resolves to. Walked from the
// statements (few), not from every record.
MATCH (c:Customer)-[:STATED]->(s:ConsentStatement)
MATCH (c)-[:RESOLVES_TO]->(p:Profile)
RETURN p.profileId AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis, c.marketingConsent AS marketing, c.emailConsent AS email,
       c.phoneConsent AS phone, c.smsConsent AS sms, c.postConsent AS post,
       c.profilingConsent AS profiling, c.sharingConsent AS sharing,
       properties(s) AS statement
