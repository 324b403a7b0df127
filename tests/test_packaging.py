"""The package carries what it runs on: a wheel built from the checkout, installed into a
fresh virtual environment outside the checkout, serves queries from its own Cypher files."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pip_install_outside_the_checkout_serves(tmp_path: Path) -> None:
    # Built from a copy: setuptools reuses the checkout's build/ folder, where files deleted
    # from the checkout live on.
    source = tmp_path / "source"
    left_out = shutil.ignore_patterns(
        ".*", "build", "data", "*.egg-info", "__pycache__", "node_modules", "bench", "tests"
    )
    shutil.copytree(ROOT, source, ignore=left_out)
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*build, "-w", str(wheels), str(source)], check=True, cwd=tmp_path)
    [wheel] = wheels.glob("*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".cypher")}
    in_checkout = {
        f"app/cypher/{p.relative_to(ROOT / 'cypher')}" for p in (ROOT / "cypher").rglob("*.cypher")
    }
    assert shipped == in_checkout

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True)
    # Dependencies come from the test run's environment (PYTHONPATH); the project itself only
    # from the wheel: the checkout's editable install is a .pth hook, which PYTHONPATH skips.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IDGRAPH_")},
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
        "IDGRAPH_DATA_DIR": str(tmp_path / "data"),
        "IDGRAPH_STORE_LINGER_S": "0",  # the server stops with the test's `serve`
    }
    port = _free_port()
    server = subprocess.Popen(
        [str(venv / "bin" / "idgraph"), "serve", "--port", str(port), "--no-demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # First start: a local admin key, printed once on stdout (`make run` shows it).
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("admin key: idg_"), line
        key = line.split(": ", 1)[1].strip()
        health = _wait_json(f"http://127.0.0.1:{port}/health", server)
        assert health["store"] == {"backend": "falkordb", "ready": True}
        where = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import app; print(app.__file__)"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert where.startswith(str(venv))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/graphql",
            data=json.dumps({"query": "{ alerts(first: 1) { edges { node { id } } } }"}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                body = json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise AssertionError(exc.read().decode()) from exc
        assert body == {"data": {"alerts": {"edges": []}}}
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_json(url: str, server: subprocess.Popen[str]) -> dict:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            assert server.stderr is not None
            raise AssertionError(f"idgraph serve exited: {server.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return dict(json.loads(answer.read()))
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"no answer from {url}")
