MATCH (c:Customer)
RETURN count(c) AS n
