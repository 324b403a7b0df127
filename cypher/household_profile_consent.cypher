// Households: golden marketing consent on each active profile: a refusal in any of its
// records wins, else a grant in any, else unknown (null).
MATCH (p:Profile)
WHERE p.status = 'active'
WITH p, [(p)<-[:RESOLVES_TO]-(c:Customer) WHERE c.marketingConsent IS NOT NULL
         | c.marketingConsent] AS said
SET p.marketingConsent = CASE WHEN size(said) = 0 THEN null
                              WHEN false IN said THEN false ELSE true END
