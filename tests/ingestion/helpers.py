"""Helpers for ingestion tests: small source files and a comparable picture of the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from app.store import GraphStore

CUSTOMER_COLUMNS = {
    "id": "sourceKey",
    "first": "firstName",
    "last": "lastName",
    "dob": "dateOfBirth",
    "email": "email",
    "phone": "phone",
    "street": "street",
    "city": "city",
    "postcode": "postcode",
    "device": "deviceId",
    "account": "accountId",
    "role": "accountRole",
}
INTERACTION_COLUMNS = {
    "event": "interactionId",
    "cust": "customerKey",
    "type": "type",
    "channel": "channel",
    "at": "timestamp",
    "amount": "value",
    "device": "deviceId",
    "account": "accountId",
}


def write_mapping(path: Path, kind: str, columns: dict[str, str], **extra: Any) -> Path:
    data = {"source": "crm", "kind": kind, "columns": columns, **extra}
    path.write_text(yaml.safe_dump(data, sort_keys=False))  # column order matters
    return path


def customer_rows(n: int, offset: int = 0) -> list[dict[str, str]]:
    rows = []
    for i in range(offset, offset + n):
        rows.append(
            {
                "id": f"C{i:06d}",
                "first": f"first{i % 97}",
                "last": f"Last{i % 89}",
                "dob": f"19{50 + i % 50}-0{1 + i % 9}-1{i % 9}",
                "email": f"person{i}@example.com",
                "phone": f"07700 {900000 + i:06d}",
                "street": f"{i % 200} High St",
                "city": "London",
                "postcode": f"SW{i % 20}A 1AA",
                "device": f"D{i // 3}",
                "account": f"A{i // 4}",
                "role": "owner" if i % 4 == 0 else "member",
            }
        )
    return rows


def snapshot(store: GraphStore) -> tuple[list[str], list[str]]:
    """Every node's label and properties and every relationship by its ends' keys, sorted."""
    key = (
        "coalesce({v}.customerId, {v}.email, {v}.phone, {v}.addressId, {v}.deviceId, "
        "{v}.accountId, {v}.interactionId, {v}.profileId, {v}.householdId)"
    )
    nodes, _ = store.run_text(
        "MATCH (n) RETURN labels(n)[0] AS label, properties(n) AS props", write=False
    )
    rels, _ = store.run_text(
        f"MATCH (a)-[r]->(b) RETURN type(r) AS t, {key.format(v='a')} AS a, "
        f"{key.format(v='b')} AS b, properties(r) AS props",
        write=False,
    )
    return (
        sorted(f"{r['label']} {sorted(r['props'].items())}" for r in nodes),
        sorted(f"{r['a']} -{r['t']}-> {r['b']} {sorted(r['props'].items())}" for r in rels),
    )


def reversed_rows(folder: Path, out: Path) -> Path:
    """A copy of a synthetic folder's source files with every row in reverse order."""
    out.mkdir()
    for f in folder.iterdir():
        if f.suffix == ".csv" and "_" in f.stem and "truth" not in f.stem:
            frame = pd.read_csv(f, dtype=str, keep_default_na=False)
            frame.iloc[::-1].to_csv(out / f.name, index=False)
    return out
