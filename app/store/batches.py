"""Store work in batches: rows cut into batches, writes sent from a thread while the next is
prepared (`pipelined`), reads started ahead of the batch that needs them (`read_ahead`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context


def batched[T](rows: Iterable[T], size: int) -> Iterator[list[T]]:
    """The rows in lists of `size` (the last may be shorter)."""
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def pipelined[T, R](items: Iterable[T], send: Callable[[T], R]) -> Iterator[R]:
    """Each item's `send` result, in order; each is sent from one thread while the caller's
    `items` produces the next (the client encodes a write while the server runs the one
    before; one in flight at a time, so writes stay in order). Each is sent in the caller's
    context (its writes are the caller's writer's: app/store/marks.py)."""
    with ThreadPoolExecutor(1, thread_name_prefix="store-send") as sender:
        pending = None
        for item in items:
            if pending is not None:
                yield pending.result()
            pending = sender.submit(copy_context().run, send, item)
        if pending is not None:
            yield pending.result()


def read_ahead[T, R](items: Sequence[T], read: Callable[[T], R]) -> Iterator[tuple[T, R]]:
    """(item, read(item)) for each item, in order; the next item's read runs in a thread (in
    the caller's context) while the caller works on this one, so a batch's reads overlap
    the computing and writing of the batch before. A single item is read in the caller's
    thread."""
    if len(items) < 2:
        for item in items:
            yield item, read(item)
        return
    with ThreadPoolExecutor(1, thread_name_prefix="store-read-ahead") as reader:
        pending = reader.submit(copy_context().run, read, items[0])
        for i, item in enumerate(items):
            got = pending.result()
            if i + 1 < len(items):
                pending = reader.submit(copy_context().run, read, items[i + 1])
            yield item, got
