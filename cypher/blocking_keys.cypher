// The blocking-key properties (bk_* on Customer) resolution has written and not yet retired.
MATCH (k:BlockingKey)
RETURN k.name AS name
ORDER BY name
