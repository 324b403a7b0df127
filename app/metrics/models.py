"""Model metrics: a logistic model over other metrics, kept as a small versioned JSON file
(no pickles: a model file is data, never code). `idgraph fit-model` trains one with
scikit-learn on the graph's own history; an external model in the same format works too.

Format (`format: idgraph-logistic/1`): features (metric names), mean and scale per feature
(standardisation; a missing value counts as the mean), coef, intercept, version."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.errors import ConfigError

FORMAT = "idgraph-logistic/1"


@dataclass(frozen=True)
class LogisticModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    version: str
    target: str = ""
    trained_at: str = ""
    format: str = FORMAT

    def score(self, columns: Mapping[str, np.ndarray[Any, Any]], n: int) -> list[float]:
        """Probability per row, rounded to 4 decimals."""
        if not self.features:
            z = np.full(n, self.intercept)
        else:
            x = np.column_stack(
                [np.asarray(columns[f], dtype=np.float64) for f in self.features]
            ).reshape(n, len(self.features))
            mean = np.array(self.mean)
            x = np.where(np.isnan(x), mean, x)
            z = ((x - mean) / np.array(self.scale)) @ np.array(self.coef) + self.intercept
        return [round(float(v), 4) for v in 1.0 / (1.0 + np.exp(-z))]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


# A model is a file in the data folder's models/ folder, named without any path: the API
# must not become a way to read, or to learn about, other files of the server.
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(\.json)?$")


def model_path(name: str, model_dir: Path) -> Path:
    """The file of a model named `name` (`churn` or `churn.json`) in model_dir."""
    if not MODEL_NAME.match(name):
        raise ConfigError(
            "give a model's name in the models folder (up to 64 letters, digits, '_' or '-', "
            "optionally ending in .json), not a path"
        )
    return model_dir / (name if name.endswith(".json") else f"{name}.json")


def load_model(name: str, model_dir: Path) -> LogisticModel:
    """The model file, checked; ConfigError says why it does not load (naming the model, not
    where the server keeps it)."""
    path = model_path(name, model_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no model named {name!r} in the models folder") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        why = exc.__class__.__name__ if isinstance(exc, OSError) else str(exc)
        raise ConfigError(f"model {name!r} does not load: {why}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ConfigError(f"model {name!r} is not an {FORMAT} model (field format)")
    try:
        model = LogisticModel(
            features=tuple(str(f) for f in raw["features"]),
            mean=tuple(float(v) for v in raw["mean"]),
            scale=tuple(float(v) or 1.0 for v in raw["scale"]),
            coef=tuple(float(v) for v in raw["coef"]),
            intercept=float(raw["intercept"]),
            version=str(raw["version"]),
            target=str(raw.get("target", "")),
            trained_at=str(raw.get("trained_at", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"model {name!r} does not load: bad or missing field {exc}") from None
    n = len(model.features)
    if not (len(model.mean) == len(model.scale) == len(model.coef) == n):
        raise ConfigError(f"model {name!r}: features, mean, scale and coef differ in length")
    return model


def fit_logistic(
    x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], features: tuple[str, ...], target: str
) -> tuple[LogisticModel, float]:
    """Fit on standardised features; returns the model and its AUC on a held-out quarter."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    if len(set(y.tolist())) < 2:
        raise ConfigError(f"cannot fit {target}: every profile has the same outcome")
    x = np.asarray(x, dtype=np.float64)
    mean = np.nanmean(x, axis=0)
    mean = np.where(np.isnan(mean), 0.0, mean)
    x = np.where(np.isnan(x), mean, x)
    scale = x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    z = (x - mean) / scale
    rng = np.random.default_rng(0)
    test = rng.random(len(y)) < 0.25
    clf = LogisticRegression(max_iter=1000).fit(z[~test], y[~test])
    held = y[test]
    auc = (
        float(roc_auc_score(held, clf.predict_proba(z[test])[:, 1]))
        if len(set(held.tolist())) == 2
        else float("nan")  # too few profiles to hold out both outcomes
    )
    clf = LogisticRegression(max_iter=1000).fit(z, y)
    coef = tuple(round(float(c), 6) for c in clf.coef_[0])
    intercept = round(float(clf.intercept_[0]), 6)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hashlib.sha256(json.dumps([features, coef, intercept]).encode()).hexdigest()[:8]
    model = LogisticModel(
        features=features,
        mean=tuple(round(float(v), 6) for v in mean),
        scale=tuple(round(float(v), 6) for v in scale),
        coef=coef,
        intercept=intercept,
        version=f"{now[:10]}-{digest}",
        target=target,
        trained_at=now,
    )
    return model, auc
