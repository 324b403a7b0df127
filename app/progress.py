"""The progress display of every long batch stage (load, resolve, households, metrics): what
is being done, a bar, how many of how many, the rate (rows, pairs or profiles a second),
the time so far and the time left. One definition, so that every stage reads the same."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column
from rich.text import Text


class CountColumn(ProgressColumn):
    """How many of how many, with thousands separators ("?" while the total is unknown).
    Where the bar counts something else (a file's bytes), the rows so far and the share."""

    def render(self, task: Task) -> Text:
        rows = task.fields.get("rows")
        if rows is not None:
            share = f", {task.percentage:.0f}%" if task.total else ""
            return Text(f"{rows:,} rows{share}", style="progress.download")
        total = "?" if task.total is None else f"{int(task.total):,}"
        return Text(f"{int(task.completed):,}/{total}", style="progress.download")


class RateColumn(ProgressColumn):
    """Items a second since the task started, in the task's unit (`unit` field, default
    rows; empty for a task that counts steps: no rate). Where the bar counts something
    else (a file's bytes), the `rows` field counts the rows and is used instead."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "rows")
        if not unit:  # a task that counts steps, not items: no rate
            return Text("")
        done = task.fields.get("rows", task.completed)
        elapsed = (task.finished_time if task.finished else task.elapsed) or 0.0
        if not done or elapsed <= 0:
            return Text(f"- {unit}/s", style="progress.data.speed")
        return Text(f"{done / elapsed:,.0f} {unit}/s", style="progress.data.speed")


def stage_progress(console: Console | None, enabled: bool = True) -> Progress:
    """A progress display for a batch stage; `enabled` False (or no console) shows nothing."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(bar_width=12),
        CountColumn(table_column=Column(no_wrap=True)),
        RateColumn(table_column=Column(no_wrap=True)),
        TimeElapsedColumn(table_column=Column(no_wrap=True)),
        TimeRemainingColumn(table_column=Column(no_wrap=True)),
        console=console,
        disable=console is None or not enabled,
        transient=False,
    )
