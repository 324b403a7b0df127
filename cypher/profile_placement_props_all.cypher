// What placement writes on every active profile, as stored (to write only what changed).
MATCH (p:Profile)
WHERE p.status = 'active'
RETURN p.profileId AS profileId,
       p {.firstName, .lastName, .dateOfBirth, .email, .phone, .addressId, .street, .city,
          .postcode, .size, .sources, .sparse} AS props
