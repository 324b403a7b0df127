"""Ingestion: source files + a mapping -> validated, normalised rows -> graph upserts."""
