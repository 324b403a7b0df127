// Marketing, contactable only: household_search restricted to households whose
// decision-maker's golden consent (Profile.marketingConsent, written by the households run)
// is true. The caller re-checks consent live for each returned row, so a refusal
// loaded since the run still withholds the contact.
MATCH (h:Household)
WHERE h.status = 'active'
  AND ($after IS NULL OR h.householdId > $after)
  AND ($minMembers IS NULL OR h.size >= $minMembers)
  AND ($maxMembers IS NULL OR h.size <= $maxMembers)
  AND ($lacks IS NULL OR NOT ($lacks IN coalesce(h.services, [])))
  AND ($has IS NULL OR $has IN coalesce(h.services, []))
  AND ALL(f IN coalesce($metrics, []) WHERE h[f.property] IS NOT NULL
          AND (f.gte IS NULL OR h[f.property] >= f.gte)
          AND (f.lte IS NULL OR h[f.property] <= f.lte))
MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker' AND dm.marketingConsent = true
WITH h, dm
ORDER BY h.householdId
WITH collect({h: h, dm: dm})[..$limit] AS page
UNWIND page AS row
WITH row.h AS h, row.dm AS dm
RETURN properties(h) AS household,
       dm {.profileId, .firstName, .lastName, .email, .phone, .street, .city, .postcode}
         AS decisionMaker
ORDER BY household.householdId
