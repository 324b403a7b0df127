"""Read-only Cypher for analysts on any store: `idgraph cypher` opens a prompt (and `-c QUERY`
runs one), printing tables; the curated exploration queries of the Neo4j Browser kit
(cypher/browser/, docs/neo4j-browser.md) run here too, so the embedded store can be explored
without Neo4j."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from app.errors import IdGraphError
from app.store import GraphStore
from app.store.base import CYPHER_DIR, Row, safe_identifier, write_clause

BROWSER_DIR = CYPHER_DIR / "browser"
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_SET_PARAM = re.compile(r"^:param\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*(.+?);?\s*$", re.DOTALL)
HELP = """\
Cypher ending with ';' runs read-only (it may span lines). Commands:
  :param NAME => EXPRESSION   set a parameter ($NAME), e.g. :param profileId => 'PR-1'
  :params                     show the parameters
  :queries                    list the curated exploration queries
  :run NAME                   run a curated query with the parameters set
  :help                       this text
  :exit                       leave (or Ctrl-D)"""


class ReadOnlyError(IdGraphError):
    """A query given to the read-only prompt would write."""


@dataclass(frozen=True)
class Curated:
    """One curated exploration query: its file's first comment line is its title, the
    second says which parameters to set."""

    name: str
    title: str
    text: str
    params: tuple[str, ...]


def curated() -> list[Curated]:
    out = []
    for path in sorted(BROWSER_DIR.glob("*.cypher")):
        text = path.read_text(encoding="utf-8")
        title = text.splitlines()[0].removeprefix("//").strip() if text else path.stem
        params = tuple(sorted(set(_PARAM.findall(_without_comments(text)))))
        out.append(Curated(path.stem, title, text, params))
    return out


def _without_comments(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


def run_read_only(
    store: GraphStore, text: str, params: Mapping[str, Any] | None = None
) -> list[Row]:
    """Rows of a caller's query, refused before it runs if it would write (the stores refuse
    writes in a read query too, but not every Bolt server does)."""
    clause = write_clause(text)
    if clause:
        raise ReadOnlyError(f"read-only: {clause} writes; this prompt only reads")
    missing = sorted(set(_PARAM.findall(_without_comments(text))) - set(params or {}))
    if missing:
        raise ReadOnlyError(
            "set " + ", ".join(f"${m}" for m in missing) + " first, e.g. :param "
            f"{missing[0]} => 'value' (or --param {missing[0]}=\"'value'\")"
        )
    rows, _ = store.run_text(text, params, write=False)
    return rows


def evaluate(store: GraphStore, expression: str, params: Mapping[str, Any]) -> Any:
    """A parameter's value from a Cypher expression, evaluated read-only by the store (as
    Neo4j Browser and cypher-shell do)."""
    rows = run_read_only(store, f"RETURN {expression} AS value", params)
    return rows[0]["value"]


def table(rows: list[Row], title: str | None = None) -> Table:
    columns = list(rows[0]) if rows else []
    out = Table(*columns, title=title, caption=f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    for row in rows:
        out.add_row(*(shown(row[c]) for c in columns))
    return out


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


@dataclass
class Session:
    """The prompt's state: parameters, and the statement being typed."""

    store: GraphStore
    console: Console
    params: dict[str, Any] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)

    def set_param(self, name: str, expression: str) -> None:
        safe_identifier(name)
        self.params[name] = evaluate(self.store, expression, self.params)

    def run(self, text: str, title: str | None = None) -> None:
        rows = run_read_only(self.store, text, self.params)
        self.console.print(table(rows, title) if rows else "0 rows")

    def line(self, line: str) -> bool:
        """Handle one typed line; False when the user leaves."""
        stripped = line.strip()
        if not self.pending and stripped.startswith(":"):
            return self.command(stripped)
        if stripped:
            self.pending.append(line)
        if stripped.endswith(";"):
            text = "\n".join(self.pending).rstrip().removesuffix(";")
            self.pending.clear()
            self.guarded(lambda: self.run(text))
        return True

    def command(self, text: str) -> bool:
        word = text.split(maxsplit=1)[0]
        if word in (":exit", ":quit", ":q"):
            return False
        if word == ":help":
            self.console.print(HELP)
        elif word == ":params":
            self.console.print(table([{"name": k, "value": v} for k, v in self.params.items()]))
        elif word == ":queries":
            queries = curated()
            self.console.print(
                table(
                    [
                        {"name": q.name, "parameters": ", ".join(q.params), "shows": q.title}
                        for q in queries
                    ]
                )
            )
        elif word == ":run":
            self.guarded(lambda: self.run_curated(text.removeprefix(":run").strip()))
        elif m := _SET_PARAM.match(text):
            self.guarded(lambda: self.set_param(m.group(1), m.group(2)))
        else:
            self.console.print(f"unknown command {word}; :help lists them")
        return True

    def run_curated(self, name: str) -> None:
        found = {q.name: q for q in curated()}
        if name not in found:
            raise ReadOnlyError(f"no curated query {name!r}; :queries lists them")
        self.run(found[name].text, found[name].title)

    def guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except IdGraphError as exc:
            self.console.print(f"[red]error:[/red] {exc}", soft_wrap=True)


def prompt(session: Session, lines: Iterable[str] | None = None) -> None:
    """The interactive loop (lines: for tests and piped input; default: the terminal)."""
    session.console.print(f"read-only Cypher on {session.store.backend}; :help for commands")
    source = iter(lines) if lines is not None else None
    while True:
        try:
            line = next(source) if source is not None else input("cypher> ")
        except (EOFError, StopIteration):
            return
        except KeyboardInterrupt:
            session.pending.clear()
            session.console.print("")
            continue
        if not session.line(line):
            return
