// Consent: what every record of these profiles states (its consent fields, dated by the
// record's updatedAt) and the statements recorded on them over the API.
UNWIND $ids AS pid
MATCH (:Profile {profileId: pid})<-[:RESOLVES_TO]-(c:Customer)
RETURN pid AS subject, c.customerId AS customerId, c.updatedAt AS updatedAt,
       c.consentBasis AS basis, c.marketingConsent AS marketing, c.emailConsent AS email,
       c.phoneConsent AS phone, c.smsConsent AS sms, c.postConsent AS post,
       c.profilingConsent AS profiling, c.sharingConsent AS sharing,
       [(c)-[:STATED]->(s:ConsentStatement) | properties(s)] AS statements
