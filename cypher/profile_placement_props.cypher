// What placement writes on the profiles in $ids, as stored (to write only what changed).
UNWIND $ids AS pid
MATCH (p:Profile {profileId: pid})
WHERE p.status = 'active'
RETURN p.profileId AS profileId,
       p {.firstName, .lastName, .dateOfBirth, .email, .phone, .addressId, .street, .city,
          .postcode, .size, .sources, .sparse} AS props
