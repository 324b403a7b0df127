"""The saved match model for the API (app/resolution/model.py `saved_model`: read once and
again when its file changes), with the error a caller is shown when there is none."""

from __future__ import annotations

import logging
from pathlib import Path

from app.api.errors import FailedPrecondition
from app.errors import ConfigError
from app.resolution.model import MatchModel, saved_model

log = logging.getLogger(__name__)


def current_model(path: Path) -> MatchModel:
    """The model saved at path. FailedPrecondition when there is none yet or it does not fit
    (the details, with server paths, go to the log)."""
    try:
        return saved_model(path)
    except ConfigError as exc:
        log.error("real-time resolution has no usable match model: %s", exc)
        raise FailedPrecondition(
            "no usable match model: train one with `idgraph train` (the service "
            "log says what is wrong with the current one)"
        ) from exc
