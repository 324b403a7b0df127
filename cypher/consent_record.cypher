// A consent statement made to the business (over the API), kept on one record of the person.
MATCH (c:Customer {customerId: $customerId})
CREATE (c)-[:STATED]->(s:ConsentStatement {statementId: $statementId})
SET s += $props
RETURN s.statementId AS statementId
