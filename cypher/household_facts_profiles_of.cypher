// Households, incremental: golden surname, birth date and address of the active profiles in $ids.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
RETURN p.profileId AS profileId, p.lastName AS lastName, p.dateOfBirth AS dateOfBirth,
       p.addressId AS addressId, p.city AS city
