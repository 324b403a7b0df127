// Which of $ids name a profile already (active or retired): a new profile never reuses one.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
RETURN p.profileId AS profileId
