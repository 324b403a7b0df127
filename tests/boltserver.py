"""The Bolt server the Neo4j variants of the tests run against: a real Neo4j when NEO4J_URI
is set, else ArcadeDB's Bolt plugin from the pinned `arcadedb-embedded` wheel (its own JRE),
started on free loopback ports for the test run. docs/neo4j.md says what the stand-in proves."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from app.api.serving import free_port

STANDIN_PACKAGE = "arcadedb-embedded"
START_TIMEOUT_S = 90.0
HEAP = "-Xmx1536m"


@dataclass
class BoltServer:
    uri: str
    user: str
    password: str
    database: str
    description: str
    started_in_s: float = 0.0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    log_file: Path | None = None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def from_environment() -> BoltServer | None:
    """A real Neo4j named by NEO4J_URI (with NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE)."""
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        return None
    return BoltServer(
        uri=uri,
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        description=f"{uri} (NEO4J_URI)",
    )


def standin_version() -> str:
    return metadata.version(STANDIN_PACKAGE)


def start_arcadedb(workdir: Path) -> BoltServer:
    """Start ArcadeDB with its Bolt plugin on loopback; ready when a Bolt client gets in."""
    import arcadedb_embedded

    pkg = Path(arcadedb_embedded.__file__).parent
    java = pkg / "jre" / "bin" / "java"
    if not java.is_file():
        raise RuntimeError(f"{STANDIN_PACKAGE} has no JRE at {java}; run `make install`")
    workdir.mkdir(parents=True, exist_ok=True)
    bolt_port, http_port = free_port(), free_port()
    password = secrets.token_hex(12)
    log_file = workdir / "arcadedb.log"
    cmd = [
        str(java),
        HEAP,
        "-cp",
        str(pkg / "jars" / "*"),
        f"-Darcadedb.server.rootPath={workdir / 'root'}",
        f"-Darcadedb.server.rootPassword={password}",
        "-Darcadedb.server.defaultDatabases=neo4j[root]",
        "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        f"-Darcadedb.bolt.port={bolt_port}",
        "-Darcadedb.bolt.host=127.0.0.1",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={http_port}",
        "com.arcadedb.server.ArcadeDBServer",
    ]
    started = time.monotonic()
    with log_file.open("wb") as log:
        # Its own process group, so stop() ends the JVM and nothing else.
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
        )
    server = BoltServer(
        # neo4j:// as production uses it (docker-compose.yml): the driver asks for a routing
        # table and sends reads and writes by it; bolt:// is tested in test_neo4j_store.py.
        uri=f"neo4j://127.0.0.1:{bolt_port}",
        user="root",
        password=password,
        database="neo4j",
        description=(
            f"ArcadeDB stand-in ({STANDIN_PACKAGE}=={standin_version()}) "
            f"on neo4j://127.0.0.1:{bolt_port}"
        ),
        process=proc,
        log_file=log_file,
    )
    try:
        _wait_ready(server, started + START_TIMEOUT_S)
    except BaseException:
        server.stop()
        raise
    server.started_in_s = time.monotonic() - started
    return server


def _wait_ready(server: BoltServer, deadline: float) -> None:
    import neo4j

    assert server.process is not None and server.log_file is not None
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log_file.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"ArcadeDB exited with {server.process.returncode}:\n{tail}")
        if "Server started" in server.log_file.read_text(errors="replace"):
            try:
                with neo4j.GraphDatabase.driver(
                    server.uri, auth=(server.user, server.password), connection_timeout=2
                ) as driver:
                    driver.execute_query("RETURN 1 AS one", database_=server.database)
                return
            except Exception as exc:  # still starting: the database may not be open yet
                last = exc
        time.sleep(0.2)
    raise RuntimeError(f"ArcadeDB's Bolt server not ready after {START_TIMEOUT_S:.0f}s: {last}")
