"""The saved match model for the API, read once and kept until its file changes, so a
retrained model is picked up without a restart."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from app.api.errors import FailedPrecondition
from app.errors import ConfigError
from app.resolution.model import MatchModel

log = logging.getLogger(__name__)
_models: dict[Path, tuple[float, MatchModel]] = {}
_models_lock = threading.Lock()


def current_model(path: Path) -> MatchModel:
    """The model saved at path, re-read when the file changes. FailedPrecondition when there
    is none yet or it does not fit (the details, with server paths, go to the log)."""
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        stamp = -1.0
    with _models_lock:
        cached = _models.get(path)
        if cached is None or cached[0] != stamp:
            try:
                _models[path] = (stamp, MatchModel.load(path))
            except ConfigError as exc:
                log.error("real-time resolution has no usable match model: %s", exc)
                raise FailedPrecondition(
                    "no usable match model: train one with `idgraph train` (the service "
                    "log says what is wrong with the current one)"
                ) from exc
        return _models[path][1]
