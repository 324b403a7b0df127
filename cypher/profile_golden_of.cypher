// The golden attributes of the profiles in $ids, to tell which changed.
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
RETURN p.profileId AS profileId, p.firstName AS firstName, p.lastName AS lastName,
       p.dateOfBirth AS dateOfBirth, p.email AS email, p.phone AS phone,
       p.addressId AS addressId, p.street AS street, p.city AS city, p.postcode AS postcode
