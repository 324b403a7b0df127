// Golden marketing consent as stored on the profiles in $ids (to write only changes).
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
RETURN pid AS profileId, p.marketingConsent AS consent
