// Metrics: the interaction types, channels and sources in the graph (one row per distinct
// combination), numbered by app/metrics/columnar.py to pack interactions as numbers.
MATCH (i:Interaction)
WITH DISTINCT i.type AS type, i.channel AS channel, i.source AS source
RETURN type, channel, source
