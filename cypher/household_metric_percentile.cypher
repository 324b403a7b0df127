// Marketing: the value of a Group DNA property ($property, a validated `dna_` name) at
// percentile $percentile over active households ("spend in the top decile": 0.9).
MATCH (h:Household)
WHERE h.status = 'active' AND h[coalesce($property, 'size')] IS NOT NULL
RETURN percentileDisc(h[coalesce($property, 'size')], coalesce($percentile, 0.5)) AS value
