"""Customer DNA: metric definitions, storage with history and trend, batch and
per-event computation."""
