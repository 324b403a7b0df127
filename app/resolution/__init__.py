"""Identity resolution: candidate pairs by blocking, scoring, clustering into profiles."""
