"""Customer records as a DataFrame for resolution, read from the store."""

from __future__ import annotations

import pandas as pd

from app.resolution.blocking import RECORD_COLUMNS
from app.store import GraphStore


def load_records(store: GraphStore) -> pd.DataFrame:
    """One row per (non-stub) customer record, indexed by customerId, in a stable order."""
    rows = store.read("resolution_records")
    columns = ["customerId", "source", *RECORD_COLUMNS, "street", "updatedAt"]
    df = pd.DataFrame(rows, columns=columns)
    return df.set_index("customerId")
