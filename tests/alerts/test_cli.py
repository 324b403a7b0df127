"""`idgraph alerts` and `idgraph deliver` as a user runs them, against a store another process
(this test) holds open, posting to a real local webhook."""

from __future__ import annotations

import json
from pathlib import Path

from app.alerts import evaluate_changes
from app.settings import Settings
from app.store import open_store
from tests.alerts.conftest import change, profile
from tests.alerts.receiver import receiver
from tests.test_cli import idgraph

RULES = "rules: [{name: big-spender, metric: spend_90d, condition: above, threshold: 1000}]"


def test_list_alerts_and_deliver_once(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    with receiver() as hook:
        webhooks = {"crm": hook.url}
        monkeypatch.setenv("IDGRAPH_WEBHOOKS", json.dumps(webhooks))
        monkeypatch.setenv("IDGRAPH_ALERT_RULES_FILE", str(rules))
        settings = Settings(data_dir=data, alert_rules_file=rules, webhooks=webhooks)
        store = open_store(settings)
        try:
            store.setup_schema()
            profile(store, "PR-1")
            [alert] = evaluate_changes(store, settings, [change("spend_90d", 1234.0)])

            listed = idgraph("alerts", data=data)
            assert listed.returncode == 0, listed.stderr
            assert alert.alert_id in listed.stdout and "crm:pending" in listed.stdout
            assert "big-spender" in listed.stdout and "spend_90d=1234.0" in listed.stdout

            sent = idgraph("deliver", data=data)
            assert sent.returncode == 0, sent.stderr
            assert "delivered 1, failed 0" in sent.stderr
            assert [b["alertId"] for b in hook.bodies()] == [alert.alert_id]
            assert "crm:delivered" in idgraph("alerts", data=data).stdout

        finally:
            store.close()
