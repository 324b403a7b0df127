// Consent: what these records state (for records in no profile yet).
UNWIND $ids AS cid
MATCH (c:Customer {customerId: cid})
RETURN cid AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis, c.marketingConsent AS marketing, c.emailConsent AS email,
       c.phoneConsent AS phone, c.smsConsent AS sms, c.postConsent AS post,
       c.profilingConsent AS profiling, c.sharingConsent AS sharing,
       [(c)-[:STATED]->(s:ConsentStatement) | properties(s)] AS statements
