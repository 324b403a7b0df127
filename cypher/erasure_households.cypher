// Erasure, after regrouping the remaining members: of the person's households ($ids), those
// nobody is or was a member of any more go; those left without a current member are returned
// (the caller strips what was the person's: address, decision-maker, Group DNA).
OPTIONAL MATCH (h:Household)
WHERE h.householdId IN $ids AND NOT (h)<-[:MEMBER_OF]-()
WITH collect(h) AS empty
FOREACH (h IN empty | DETACH DELETE h)
WITH size(empty) AS deleted
OPTIONAL MATCH (h:Household)
WHERE h.householdId IN $ids AND NOT (h)<-[:MEMBER_OF {status: 'current'}]-()
RETURN deleted, [x IN collect(h) | properties(x)] AS left
