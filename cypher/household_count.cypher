// Marketing: how many active households household_search (or, with $contactable, its
// contactable twin, on the stored golden consent) selects, over all pages.
MATCH (h:Household)
WHERE h.status = 'active'
  AND ($minMembers IS NULL OR h.size >= $minMembers)
  AND ($maxMembers IS NULL OR h.size <= $maxMembers)
  AND ($lacks IS NULL OR NOT ($lacks IN coalesce(h.services, [])))
  AND ($has IS NULL OR $has IN coalesce(h.services, []))
  AND ALL(f IN coalesce($metrics, []) WHERE h[f.property] IS NOT NULL
          AND (f.gte IS NULL OR h[f.property] >= f.gte)
          AND (f.lte IS NULL OR h[f.property] <= f.lte))
OPTIONAL MATCH (dm:Profile)-[m:MEMBER_OF]->(h)
WHERE m.status = 'current' AND m.role = 'decision_maker' AND dm.marketingConsent = true
WITH h, count(dm) AS contactable
WHERE NOT $contactable OR contactable > 0
RETURN count(h) AS n
