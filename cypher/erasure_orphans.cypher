// Erasure: of the identifier and asset nodes the person's records used, those nobody links
// to any more.
OPTIONAL MATCH (x:Email) WHERE x.email IN $emails AND NOT (x)--()
WITH collect(x) AS found
FOREACH (x IN found | DELETE x)
WITH size(found) AS n
OPTIONAL MATCH (x:Phone) WHERE x.phone IN $phones AND NOT (x)--()
WITH n, collect(x) AS found
FOREACH (x IN found | DELETE x)
WITH n + size(found) AS n
OPTIONAL MATCH (x:Address) WHERE x.addressId IN $addresses AND NOT (x)--()
WITH n, collect(x) AS found
FOREACH (x IN found | DELETE x)
WITH n + size(found) AS n
OPTIONAL MATCH (x:Device) WHERE x.deviceId IN $devices AND NOT (x)--()
WITH n, collect(x) AS found
FOREACH (x IN found | DELETE x)
WITH n + size(found) AS n
OPTIONAL MATCH (x:Account) WHERE x.accountId IN $accounts AND NOT (x)--()
WITH n, collect(x) AS found
FOREACH (x IN found | DELETE x)
WITH n + size(found) AS n
OPTIONAL MATCH (x:Identifier) WHERE x.identifierId IN $identifiers AND NOT (x)--()
WITH n, collect(x) AS found
FOREACH (x IN found | DELETE x)
RETURN n + size(found) AS n
