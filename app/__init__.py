"""identity-graph: customers, identifiers and households resolved in a graph store."""

__version__ = "0.1.0"
