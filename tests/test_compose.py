"""docker-compose.yml keeps production habits (no Docker engine here to run it: these are
the settings a reviewer would check by eye)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_the_password_is_required_and_has_no_default() -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    uses = re.findall(r"\$\{NEO4J_PASSWORD([^}]*)\}", text)
    assert uses, "the password comes from NEO4J_PASSWORD"
    assert all(not u.startswith((":-", "-")) for u in uses)  # never a fallback value
    auth = _services()["neo4j"]["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${NEO4J_PASSWORD:?")


def test_neo4j_is_pinned_to_a_5x_release() -> None:
    image = _services()["neo4j"]["image"]
    assert re.fullmatch(r"neo4j:5\.\d+\.\d+(-community|-enterprise)?", image)


def test_ports_are_bound_to_localhost_by_default() -> None:
    for name, service in _services().items():
        for port in service.get("ports", []):
            assert port.startswith("${BIND:-127.0.0.1}:"), (name, port)


def test_the_healthcheck_queries_over_bolt_with_the_credentials() -> None:
    check = " ".join(_services()["neo4j"]["healthcheck"]["test"])
    assert "cypher-shell -a bolt://" in check
    assert '-u neo4j -p "$$NEO4J_PASSWORD"' in check
    assert "RETURN 1" in check


def test_data_and_import_have_volumes() -> None:
    volumes = _services()["neo4j"]["volumes"]
    assert {v.split(":")[1].split()[0] for v in volumes} == {"/data", "/import"}
    declared = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["volumes"]
    assert {"neo4j-data", "neo4j-import"} <= set(declared)
