// Erasure: profiles retired into any of $ids (a merge's losers keep the person's golden data).
MATCH (r:Profile)
WHERE r.mergedInto IN $ids
RETURN r.profileId AS profileId
