// Households: golden surname, birth date and address of every active profile, as flat rows
// (FalkorDB answers these far faster than per-profile pattern comprehensions).
MATCH (p:Profile)
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.lastName AS lastName, p.dateOfBirth AS dateOfBirth,
       p.addressId AS addressId, p.city AS city
