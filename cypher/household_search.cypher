// Marketing: active households by composition and Group DNA, keyset-paged by householdId
// (after $after, up to $limit rows: page size + 1). Only the page is then decorated with
// its decision-maker (the caller reads their consent: app/privacy/consent.py). $metrics: [{property, gte, lte}], property a validated
// `dna_` name.
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
WITH h
ORDER BY h.householdId
WITH collect(h)[..$limit] AS page
UNWIND page AS h
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker'
RETURN properties(h) AS household,
       dm {.profileId, .firstName, .lastName, .email, .phone, .street, .city, .postcode}
         AS decisionMaker
ORDER BY household.householdId
