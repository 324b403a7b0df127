// Profiles with their golden attributes. Lineage accumulates: IDs a profile absorbed are
// added to those it had (no run forgets a merge), and the profiles it split from are set
// once, when it is created.
UNWIND $rows AS row
MERGE (p:Profile {profileId: row.profileId})
ON CREATE SET p.createdAt = row.at, p.splitFrom = row.splitFrom
SET p += row.props, p.status = 'active', p.updatedAt = row.at
REMOVE p.mergedInto
WITH p, row
WHERE size(coalesce(row.absorbed, [])) > 0
SET p.absorbed = [x IN coalesce(p.absorbed, []) WHERE NOT x IN row.absorbed] + row.absorbed
