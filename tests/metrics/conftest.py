"""Metrics fixtures: settings whose data folder (defined metrics, models) is the test's own,
a small hand-made graph for replays, and the API tests' resolved synthetic population."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.settings import Settings
from app.store import GraphStore

# The API tests' fixtures: a resolved 150-person population and a GraphQL client on it.
from tests.api.conftest import (  # noqa: F401
    _resolved_session,
    api_settings,
    api_store,
    app,
    client,
    fresh_resolved,
    gql,
    resolved,
    resolved_gql,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def msettings(tmp_path: Path, backend_settings: Settings) -> Settings:
    """Settings with a fresh data folder (so defined metrics do not leak between tests)."""
    return backend_settings.model_copy(update={"data_dir": tmp_path / "data"})


def use_definitions(settings: Settings, tmp: Path, yaml_text: str) -> Settings:
    path = tmp / "metrics.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    return settings.model_copy(update={"metrics_file": path})


@dataclass
class People:
    """Writes profiles with member records through the store's own write queries."""

    store: GraphStore

    def profile(self, profile_id: str, records: Sequence[dict[str, Any]]) -> str:
        """records: {customerId, ...customer properties}."""
        rows = []
        for r in records:
            source, key = r["customerId"].split(":", 1)
            props = {"source": source, "sourceKey": key, **r}
            props.pop("customerId")
            rows.append({"customerId": r["customerId"], "props": props})
        self.store.write("upsert_customers", rows=rows)
        self.store.write(
            "upsert_profiles",
            rows=[{"profileId": profile_id, "at": "2026-01-01T00:00:00Z", "props": {}}],
        )
        self.store.write(
            "link_profiles",
            rows=[
                {"customerId": r["customerId"], "profileId": profile_id, "confidence": 1.0}
                for r in records
            ],
        )
        return profile_id


@pytest.fixture
def people(store: GraphStore) -> People:
    return People(store)
