// Golden marketing consent, for the households batch: every profile that holds one (True or
// False); the others hold none.
MATCH (p:Profile)
WHERE p.marketingConsent IS NOT NULL
RETURN p.profileId AS profileId, p.marketingConsent AS consent
