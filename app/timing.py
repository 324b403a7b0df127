"""Stage timing for batch runs: the seconds each stage took, as the summaries report them."""

from __future__ import annotations

import time


class Laps:
    """Seconds per stage into a summary's `seconds` dict: each lap runs from the end of the
    previous one (or from the start), rounded to hundredths as the CLI prints them."""

    def __init__(self, into: dict[str, float]) -> None:
        self._into = into
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        """Record the stage that ends now under name; the next stage starts now."""
        now = time.perf_counter()
        self._into[name] = round(now - self._clock, 2)
        self._clock = now
