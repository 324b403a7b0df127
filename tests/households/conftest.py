"""Household fixtures: a small graph written with the store's own write queries (records,
identifier edges, profiles), and a resolved synthetic population with its truth."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.ingestion.batch import load_directory
from app.resolution.batch import resolve
from app.resolution.learning import learn
from app.settings import Settings
from app.store import GraphStore, open_store
from app.synth import SynthConfig, generate


@dataclass
class Person:
    """One profile made of one record, written as ingestion and resolution write them."""

    store: GraphStore

    def add(
        self,
        pid: str,
        last: str,
        *,
        address: str | None = None,
        accounts: Sequence[tuple[str, str]] = (),
        devices: Sequence[str] = (),
        dob: str | None = "1980-01-01",
        consent: bool | None = None,
        email: str | None = None,
        events: Sequence[dict[str, Any]] = (),
    ) -> str:
        cid = f"crm:{pid}"
        props: dict[str, Any] = {
            "source": "crm",
            "sourceKey": pid,
            "firstName": "Sam",
            "lastName": last,
            "dateOfBirth": dob,
            "email": email,
            "updatedAt": "2024-01-01T00:00:00",
            "addressId": address,
            "marketingConsent": consent,
        }
        w = self.store.write_batches
        w("upsert_customers", [{"customerId": cid, "props": props}], 100)
        keys = [f"Address:{address}"] if address else []
        keys += [f"Account:{a}" for a, _ in accounts] + [f"Device:{d}" for d in devices]
        keys += [f"Email:{email}"] if email else []
        w("unlink_stale_identifiers", [{"customerId": cid, "keys": keys}], 100)
        if address:
            w(
                "link_addresses",
                [
                    {
                        "customerId": cid,
                        "addressId": address,
                        "props": {"street": address, "city": "Leeds"},
                    }
                ],
                100,
            )
        if email:
            w("link_emails", [{"customerId": cid, "email": email}], 100)
        w(
            "link_accounts",
            [{"customerId": cid, "accountId": a, "role": r} for a, r in accounts],
            100,
        )
        w(
            "link_devices",
            [{"customerId": cid, "deviceId": d, "seen": "2024-01-01"} for d in devices],
            100,
        )
        rows = [
            {
                "interactionId": f"crm:{pid}-{k}",
                "customerId": cid,
                "customerKey": pid,
                "source": "crm",
                "props": {
                    "source": "crm",
                    "type": e.get("type", "purchase"),
                    "channel": e.get("channel", "web"),
                    "ts": 1_700_000_000_000 + k,
                    "occurredAt": e.get("at", "2025-03-01T10:00:00"),
                    "value": e["value"],
                },
            }
            for k, e in enumerate(events)
        ]
        w("upsert_interactions", rows, 100)
        on = [
            {"interactionId": r["interactionId"], "accountId": e["accountId"]}
            for r, e in zip(rows, events, strict=True)
            if e.get("accountId")
        ]
        w("link_interaction_accounts", on, 100)
        gold = {
            "lastName": last,
            "dateOfBirth": dob,
            "addressId": address,
            "email": email,
            "firstName": "Sam",
            "size": 1,
            "sources": ["crm"],
        }
        w("upsert_profiles", [{"profileId": pid, "props": gold, "at": "2024-01-01T00:00:00Z"}], 100)
        w("link_profiles", [{"customerId": cid, "profileId": pid, "confidence": 1.0}], 100)
        return pid

    def record(self, pid: str, key: str, consent: bool | None) -> None:
        """A second record of the person behind profile pid (another source)."""
        cid = f"webshop:{key}"
        props = {
            "source": "webshop",
            "sourceKey": key,
            "marketingConsent": consent,
            "updatedAt": "2025-06-01T00:00:00",
        }
        self.store.write_batches("upsert_customers", [{"customerId": cid, "props": props}], 10)
        self.store.write_batches(
            "link_profiles", [{"customerId": cid, "profileId": pid, "confidence": 1.0}], 10
        )


@pytest.fixture
def people(store: GraphStore) -> Person:
    return Person(store)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store="falkordb", data_dir=tmp_path, graph_name="hh")


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 synthetic people's source files, not loaded: for tests that load them into a
    store of their own."""
    out = tmp_path_factory.mktemp("hh-synthetic")
    generate(SynthConfig(people=150, seed=11), out, "csv")
    return out


@dataclass
class Population:
    store: GraphStore
    settings: Settings
    truth_records: Path


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Population]:
    """400 synthetic people (about 1,100 records), loaded and resolved once per session."""
    base = tmp_path_factory.mktemp("households")
    synth = base / "synth"
    generate(SynthConfig(people=400, seed=11), synth, "csv")
    settings = Settings(
        store="falkordb", data_dir=base / "data", graph_name="households", resolve_workers=1
    )
    store = open_store(settings)
    try:
        store.setup_schema()
        load_directory(store, synth, settings, show_progress=False)
        model = learn(store, settings, truth_file=synth / "truth_records.csv", pairs=300).model
        resolve(store, settings, model)
        yield Population(store, settings, synth / "truth_records.csv")
    finally:
        store.close()
