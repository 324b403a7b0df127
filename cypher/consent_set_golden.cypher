// Golden marketing consent on profiles ($rows: {profileId, consent}), decided in Python by
// app/privacy/consent.py (the one definition of the rule).
UNWIND $rows AS row
MATCH (p:Profile {profileId: row.profileId})
SET p.marketingConsent = row.consent
