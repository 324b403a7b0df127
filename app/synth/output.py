"""Write generated columns as CSV, JSON Lines or Parquet.

Columns arrive as numpy arrays: strings with "" for missing, or floats with NaN.
CSV keeps "" (an empty cell); JSON Lines and Parquet write null instead.
"""

import csv
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

Format = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "jsonl", "parquet")
Columns = dict[str, np.ndarray]


def _nullable(values: np.ndarray) -> np.ndarray:
    if values.dtype.kind == "f":
        return values
    out = values.astype(object)
    out[values == ""] = None
    return out


def write_table(cols: Columns, path: Path, fmt: Format) -> int:
    """Write one table; returns the number of rows."""
    n = len(next(iter(cols.values()))) if cols else 0
    if fmt == "parquet":
        arrays = [
            pa.array(v, type=pa.float64() if v.dtype.kind == "f" else pa.string(), from_pandas=True)
            for v in (_nullable(c) for c in cols.values())
        ]
        pq.write_table(pa.Table.from_arrays(arrays, names=list(cols)), path)
        return n
    if fmt == "jsonl":
        # Object dtype skips the conversion to Arrow strings: twice as fast here.
        frame = pd.DataFrame({k: pd.Series(_nullable(v), dtype=v.dtype) for k, v in cols.items()})
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
        return n
    _write_csv(cols, path)
    return n


def _cells(values: np.ndarray) -> list[object]:
    if values.dtype.kind == "f":
        return ["" if x != x else x for x in values.tolist()]  # NaN -> empty cell
    return values.tolist()


def _write_csv(cols: Columns, path: Path) -> None:
    # The csv module is several times faster than DataFrame.to_csv on string columns.
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(cols.keys())
        writer.writerows(zip(*(_cells(v) for v in cols.values()), strict=True))
