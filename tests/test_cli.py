"""The command line as a user runs it: synth a folder, load it, see counts and clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def idgraph(
    *args: str, data: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it on the data folder `data`; `env` adds settings."""
    env = {**os.environ, "IDGRAPH_DATA_DIR": str(data), "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_synth_then_load_dir_then_stats(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = tmp_path / "synth"
    r = idgraph("synth", "--people", "120", "--out", str(out), "--seed", "3", data=data)
    assert r.returncode == 0, r.stderr
    assert (out / "crm_customers.csv").exists() and (out / "truth_records.csv").exists()
    r = idgraph("load-dir", str(out), "--no-progress", data=data)
    assert r.returncode == 0, r.stderr
    assert "crm_customers.csv" in r.stdout and "interactions" in r.stdout
    r = idgraph("stats", data=data)
    assert r.returncode == 0, r.stderr
    assert "Customer" in r.stdout and "PERFORMED" in r.stdout


def test_missing_column_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "crm.csv"
    bad.write_text("x,y\n1,2\n")
    r = idgraph("ingest", str(bad), "--source", "crm", data=tmp_path / "data")
    assert r.returncode == 2
    assert "missing required column(s) crm_id" in r.stderr
    assert "Traceback" not in r.stderr


def test_corrupt_parquet_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "crm.parquet"
    bad.write_bytes(b"not parquet at all")
    r = idgraph("ingest", str(bad), "--source", "crm", "--kind", "customers", data=tmp_path / "d")
    assert r.returncode == 2
    assert "cannot read the file" in r.stderr and "Traceback" not in r.stderr


def test_upsert_changes_only_the_fields_given_and_audit_lists_who(tmp_path: Path) -> None:
    """`idgraph upsert` is a partial update audited under --actor (default cli:<login>);
    `idgraph audit` reads the trail back, newest first, filtered."""
    import getpass
    import json

    data, out = tmp_path / "data", tmp_path / "synth"
    assert (
        idgraph("synth", "--people", "40", "--out", str(out), "--seed", "3", data=data).returncode
        == 0
    )
    assert idgraph("load-dir", str(out), "--no-progress", data=data).returncode == 0
    r = idgraph("train", "--from-truth", str(out / "truth_records.csv"), data=data)
    assert r.returncode == 0, r.stderr
    r = idgraph(
        "upsert",
        "crm",
        "sourceKey=Z-1",
        "fullName=Ada Byron",
        "email=ada@example.org",
        "--actor",
        "ops",
        data=data,
    )
    assert r.returncode == 0, r.stderr
    r = idgraph("upsert", "crm", "sourceKey=Z-1", "email=", data=data)
    assert r.returncode == 0, r.stderr

    r = idgraph("audit", "--entity", "crm:Z-1", data=data)
    assert r.returncode == 0, r.stderr
    trail = json.loads(r.stdout)
    assert trail["totalCount"] == 2
    cleared, made = trail["events"]
    assert (cleared["actor"], made["actor"]) == (f"cli:{getpass.getuser()}", "ops")
    assert (cleared["before"], cleared["after"]) == ({"email": "ada@example.org"}, {"email": None})
    assert made["after"]["firstName"] == "Ada" and made["after"]["lastName"] == "Byron"
    r = idgraph("audit", "--actor", "ops", "--limit", "5", data=data)
    assert [e["action"] for e in json.loads(r.stdout)["events"]] == ["upsertCustomerRecord"]
    r = idgraph("audit", "--since", "last week", data=data)
    assert r.returncode == 2 and "since: 'last week' is not an ISO 8601" in r.stderr

    # Attributes: given with --attribute, kept by an update without them, cleared by name=.
    r = idgraph("upsert", "crm", "sourceKey=Z-1", "--attribute", "occupation=Painter", data=data)
    assert r.returncode == 0, r.stderr
    assert idgraph("upsert", "crm", "sourceKey=Z-1", "lastName=King", data=data).returncode == 0
    r = idgraph("upsert", "crm", "sourceKey=Z-1", "--attribute", "occupation=", data=data)
    assert r.returncode == 0, r.stderr
    cleared, renamed, given = json.loads(idgraph("audit", "--entity", "crm:Z-1", data=data).stdout)[
        "events"
    ][:3]
    assert (given["before"], given["after"]) == (
        {"attr_occupation": None},
        {"attr_occupation": "Painter"},
    )
    assert (renamed["before"], renamed["after"]) == ({"lastName": "Byron"}, {"lastName": "King"})
    assert (cleared["before"], cleared["after"]) == (
        {"attr_occupation": "Painter"},
        {"attr_occupation": None},
    )
    r = idgraph("upsert", "crm", "sourceKey=Z-1", "--attribute", "shoe size=9", data=data)
    assert r.returncode == 2
    assert "attribute name(s) ['shoe size'] are not usable" in r.stderr

    # An account the record holds gets a plan (`idgraph account`), audited; an unknown one is
    # refused.
    assert idgraph("upsert", "crm", "sourceKey=Z-1", "accountId=ACC-Z", data=data).returncode == 0
    r = idgraph("account", "ACC-Z", "planMb=5000", "--actor", "ops", data=data)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["attributes"] == {"accountId": "ACC-Z", "planMb": 5000}
    event = json.loads(idgraph("audit", "--entity", "account:ACC-Z", data=data).stdout)["events"]
    assert [(e["action"], e["actor"], e["before"], e["after"]) for e in event] == [
        ("updateAccount", "ops", {"planMb": None}, {"planMb": 5000})
    ]
    r = idgraph("account", "ACC-9", "planMb=1", data=data)
    assert r.returncode == 2 and "accountId 'ACC-9': the graph has no such account" in r.stderr
    r = idgraph("account", "ACC-Z", "planMb", data=data)
    assert r.returncode == 2 and "'planMb' is not name=value" in r.stderr


def test_keys_made_and_revoked_are_audited_without_the_secret(tmp_path: Path) -> None:
    import json

    data = tmp_path / "data"
    r = idgraph(
        "keys", "create", "--name", "crm-sync", "--role", "source", "--actor", "ops", data=data
    )
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip().splitlines()[-1]
    key_id = r.stderr.split("key ", 1)[1].split()[0]
    assert idgraph("keys", "revoke", key_id, "--actor", "ops", data=data).returncode == 0
    trail = json.loads(idgraph("audit", "--entity", key_id, data=data).stdout)
    assert [(e["action"], e["actor"]) for e in trail["events"]] == [
        ("revokeKey", "ops"),
        ("createKey", "ops"),
    ]
    assert trail["events"][1]["after"]["name"] == "crm-sync"
    assert token.split(".")[-1] not in json.dumps(trail)


def test_households_with_a_truth_file_missing_its_people_stops_before_grouping(
    tmp_path: Path,
) -> None:
    """A truth_records.csv without truth_people.csv beside it: the command says so and
    exits before grouping anything, instead of after the whole run."""
    truth = tmp_path / "truth_records.csv"
    truth.write_text("source,source_key,person_id\ncrm,1,P1\n")
    r = idgraph("households", "--truth", str(truth), data=tmp_path / "data")
    assert r.returncode == 2
    assert f"cannot read household truth {tmp_path / 'truth_people.csv'}" in r.stderr
    assert "households: grouping" not in r.stderr
