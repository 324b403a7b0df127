"""The Cypher lint step (scripts/lint_cypher.py, run by `make lint`) fails on what Neo4j's
front end refuses or deprecates, and covers every .cypher file present."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _linter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lint_cypher", ROOT / "scripts/lint_cypher.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_cypher"] = module
    spec.loader.exec_module(module)
    return module


def test_errors_and_deprecations_fail_and_clean_cypher_passes() -> None:
    lint = _linter()
    files = {
        "broken.cypher": "MATCH (c:Customer {customerId: $id} RETURN c.customerId AS id",
        "deprecated.cypher": "MATCH (c:Customer) RETURN id(c) AS internal",
        "unknown.cypher": "MATCH (c:Customer) RETURN fancy.function(c) AS x",
        "fine.cypher": "UNWIND $rows AS row MATCH (c:Customer {customerId: row.id}) "
        "RETURN c.customerId AS id, elementId(c) AS element",
    }
    found = lint.lint(
        [{"source": name, "text": text, "params": ["id", "rows"]} for name, text in files.items()]
    )
    by_file = {(f["source"], f["version"], f["severity"]) for f in found}
    assert by_file == {
        ("broken.cypher", "5", "error"),
        ("broken.cypher", "25", "error"),
        ("deprecated.cypher", "5", "deprecated"),
        ("deprecated.cypher", "25", "deprecated"),
        ("unknown.cypher", "5", "error"),
        ("unknown.cypher", "25", "error"),
    }


def test_every_cypher_file_is_covered() -> None:
    lint = _linter()
    listed = {p.relative_to(ROOT) for p in lint.cypher_files()}
    on_disk = {
        p.relative_to(ROOT)
        for p in (ROOT / "cypher").rglob("*.cypher")
        if "falkordb" not in p.relative_to(ROOT).parts
    }
    assert listed == on_disk and len(listed) > 100
