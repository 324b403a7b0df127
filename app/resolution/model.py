"""The match model: dedupe's field comparators and a logistic regression over them, trained
on labelled pairs, saved as versioned JSON and used for batch and real-time scoring.

We use dedupe for what it is good at (field distances, its classifier set-up) and keep its
blocking-predicate learning out: that step is what exhausts memory on large inputs
(docs/resolution.md); candidates come from app.resolution.blocking instead."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from dedupe import variables
from dedupe.datamodel import DataModel
from doublemetaphone import doublemetaphone

from app.errors import ConfigError
from app.resolution.blocking import NAME_COUNT_CAP, RECORD_COLUMNS, keys1
from app.resolution.blocking import name_frequency as _name_frequency
from app.resolution.names import FORMAL, TITLES

FORMAT = "identity-graph/match-model/1"

# field -> dedupe variable type. Derived fields are computed by `model_records`.
FIELD_TYPES: dict[str, str] = {
    "firstName": "String",
    "formalFirstName": "Exact",  # "bob" -> "robert": nicknames meet their formal name
    "firstSound": "Exact",  # double metaphone: "Abrry" and "Barry" sound alike
    "lastName": "String",
    "lastSound": "Exact",
    "nameKey": "String",  # both name parts in sorted order: survives swapped first/last
    "dateOfBirth": "ShortString",
    "email": "Exact",
    "mobile": "Exact",  # a shared mobile is far stronger evidence than a shared landline
    "landline": "Exact",
    "postcode": "ShortString",
    "street": "String",
    "addressId": "Exact",
    # "<formal name key>|<records sharing it>": a rare name that agrees is stronger evidence
    # than "John Smith" agreeing (households and namesakes share common names).
    "nameFrequency": "Custom",
}
MOBILE_PREFIXES = ("+447",)  # UK mobiles; other countries' numbers count as landlines


def _name_specificity(a: str, b: str) -> float:
    """log(cap / count) when both records carry the same name key: 0 for the commonest
    names, ~3.9 for a name no other record has; 0 when the keys differ (no evidence)."""
    key_a, _, count_a = a.rpartition("|")
    key_b, _, count_b = b.rpartition("|")
    if key_a != key_b:
        return 0.0
    count = max(int(count_a), int(count_b), 1)
    return math.log(NAME_COUNT_CAP / min(count, NAME_COUNT_CAP))


def _custom(name: str, has_missing: bool) -> Any:
    return variables.Custom(name, comparator=_name_specificity, has_missing=has_missing)


_VARIABLES: dict[str, Any] = {"String": variables.String, "ShortString": variables.ShortString,
                              "Exact": variables.Exact, "Custom": _custom}  # fmt: skip

Record = dict[str, str | None]
Pair = tuple[Record, Record]


def model_records(records: pd.DataFrame, name_frequency: bool = True) -> list[Record]:
    """Records as dedupe wants them: model fields only, lower-case text, None for missing.
    Name frequency is counted over `records` (all of them, in batch); without it (a pair a
    steward labels) the field is missing."""
    df = pd.DataFrame(index=records.index)
    if name_frequency and set(RECORD_COLUMNS) <= set(records.columns):
        df["nameFrequency"] = _name_frequency(records)
    for name in (*FIELD_TYPES, "phone"):
        if name == "nameFrequency":
            continue
        if name in records:
            df[name] = records[name].astype("str").str.lower().str.strip()
    if "firstName" in df:
        first = df["firstName"].str.replace(".", "", regex=False)
        df["firstName"] = first.where(~first.isin(TITLES), None)  # "Ms" is no first name
        df["formalFirstName"] = df["firstName"].map(lambda f: FORMAL.get(f, f), na_action="ignore")
        df["firstSound"] = _sound(df["firstName"])
    if "lastName" in df:
        df["lastSound"] = _sound(df["lastName"])
    if "phone" in df:
        mobile = df["phone"].str.startswith(MOBILE_PREFIXES, na=False)
        df["mobile"] = df["phone"].where(mobile, None)
        df["landline"] = df["phone"].where(~mobile, None)
    if "firstName" in df and "lastName" in df:
        first, last = df["firstName"], df["lastName"]
        df["nameKey"] = first.where(first <= last, last).str.cat(
            last.where(first <= last, first), sep=" "
        )
    for name in FIELD_TYPES:
        if name not in df:
            df[name] = None
    df = df[list(FIELD_TYPES)]
    out = df.astype(object).where(df.notna() & (df != ""), None)
    names = list(FIELD_TYPES)
    return [
        dict(zip(names, row, strict=True))
        for row in zip(*(out[c].tolist() for c in names), strict=True)
    ]


def _sound(s: pd.Series) -> pd.Series:
    codes = {v: doublemetaphone(v)[0] or None for v in s.dropna().unique()}
    return s.map(codes)


def data_model() -> DataModel:
    return DataModel([_VARIABLES[t](f, has_missing=True) for f, t in FIELD_TYPES.items()])


def _column_fields(dm: DataModel) -> list[str]:
    """The field each distance column belongs to (missing-value indicators included)."""
    fields: list[str] = []
    for var in dm.field_variables:
        fields.extend([var.field] * len(var))
    return fields + [fields[i] for i in dm._missing_field_indices]


@dataclass
class Labels:
    """Labelled pairs in dedupe's training format: {"match": [[r1, r2]...], "distinct": [...]}."""

    match: list[Pair] = field(default_factory=list)
    distinct: list[Pair] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.match) + len(self.distinct)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "match": [list(p) for p in self.match],
            "distinct": [list(p) for p in self.distinct],
        }
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Labels:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read training labels {path}: {exc}") from exc
        if not isinstance(data, dict) or set(data) - {"match", "distinct"}:
            raise ConfigError(f"{path}: expected an object with 'match' and 'distinct' lists")
        allowed = set(FIELD_TYPES) | {"customerId"}
        labels = cls()
        for kind in ("match", "distinct"):
            for i, pair in enumerate(data.get(kind, [])):
                where = f"{path}: {kind} pair #{i + 1}"
                if (
                    not isinstance(pair, list)
                    or len(pair) != 2
                    or not all(isinstance(r, dict) for r in pair)
                ):
                    raise ConfigError(f"{where} is not a list of two records")
                unknown = sorted({k for r in pair for k in r} - allowed)
                if unknown:
                    raise ConfigError(
                        f"{where} has unknown field(s) {unknown}; "
                        f"the model's fields are {sorted(FIELD_TYPES)}"
                    )
                a, b = ({f: (None if r.get(f) in ("", None) else str(r[f])) for f in FIELD_TYPES}
                        for r in pair)  # fmt: skip
                getattr(labels, kind).append((a, b))
        return labels


@dataclass
class MatchModel:
    coef: list[float]
    intercept: float
    fields: dict[str, str] = field(default_factory=lambda: dict(FIELD_TYPES))
    trained_at: str = ""
    labels: int = 0

    @property
    def version(self) -> str:
        digest = hashlib.sha256(json.dumps([self.fields, self.coef, self.intercept]).encode())
        return "m-" + digest.hexdigest()[:10]

    @cached_property
    def _dm(self) -> DataModel:
        return data_model()

    @cached_property
    def _columns(self) -> list[str]:
        return _column_fields(self._dm)

    def distances(self, pairs: Sequence[Pair]) -> np.ndarray:
        """dedupe's distance vectors for these pairs (see `distances_between`)."""
        columns = self.columns([r for p in pairs for r in p])
        at = np.arange(len(pairs)) * 2
        return self.distances_between(columns, at, at + 1)

    def columns(self, records: Sequence[Record]) -> list[np.ndarray]:
        """The records' values field by field (object arrays), for `distances_between`."""
        return [np.array([r[v.field] for r in records], dtype=object) for v in self._variables]

    def distances_between(
        self, columns: list[np.ndarray], left: np.ndarray, right: np.ndarray
    ) -> np.ndarray:
        """dedupe's distance vectors (`DataModel.distances`: a column per field, then a
        present-in-both indicator per field) for the pairs (left[i], right[i]) of the records
        in `columns`, computed a field at a time: exact fields with numpy, the others with
        dedupe's own comparators where both records have a value. tests/resolution/
        test_model.py holds it equal to dedupe's."""
        n, k = len(left), len(self._variables)
        out = np.zeros((n, 2 * k), dtype="float32")
        for j, var in enumerate(self._variables):
            x, y = columns[j][left], columns[j][right]
            both = np.not_equal(x, None) & np.not_equal(y, None)  # type: ignore[call-overload]
            out[:, k + j] = both
            if var.type == "Exact":
                out[:, j] = both & (x == y)
            else:
                compare = var.comparator
                out[both, j] = [compare(a, b) for a, b in zip(x[both], y[both], strict=True)]
        return out.astype("float64")

    @cached_property
    def _variables(self) -> list[Any]:
        variables = list(self._dm.field_variables)
        # The layout above holds for what FIELD_TYPES makes: one column per field, no
        # interactions, every field may be missing.
        assert all(len(v) == 1 and v.has_missing for v in variables)
        assert len(self._dm) == 2 * len(variables)
        return variables

    def logits(self, distances: np.ndarray) -> np.ndarray:
        return distances @ np.asarray(self.coef) + self.intercept

    def probabilities(self, pairs: Sequence[Pair]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(self.distances(pairs))))

    def explain(self, distances: np.ndarray) -> list[dict[str, float]]:
        """Per pair, each field's push on the log-odds (positive: towards a match). Together
        with `intercept` they add up to the logit of the pair's probability."""
        contrib = distances * np.asarray(self.coef)
        out = []
        for row in contrib:
            per: dict[str, float] = {}
            for name, value in zip(self._columns, row, strict=True):
                per[name] = per.get(name, 0.0) + float(value)
            out.append({k: round(v, 4) for k, v in per.items() if v})
        return out

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "version": self.version, "fields": self.fields,
                "coef": self.coef, "intercept": self.intercept, "trainedAt": self.trained_at,
                "labels": self.labels}  # fmt: skip
        path.write_text(json.dumps(body, indent=1))

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        try:
            body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"no match model at {path}: run `idgraph train` first") from exc
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read match model {path}: {exc}") from exc
        if body.get("format") != FORMAT:
            raise ConfigError(
                f"{path} is a {body.get('format')!r} model; this version reads {FORMAT!r}. "
                "Retrain with `idgraph train`."
            )
        if body.get("fields") != FIELD_TYPES:
            theirs, ours = body.get("fields") or {}, FIELD_TYPES
            diff = sorted(set(theirs.items()) ^ set(ours.items()))
            raise ConfigError(
                f"{path} was trained on other fields (differences: {diff}); retrain with "
                "`idgraph train`"
            )
        model = cls(
            coef=list(body["coef"]),
            intercept=float(body["intercept"]),
            trained_at=str(body.get("trainedAt", "")),
            labels=int(body.get("labels", 0)),
        )
        if len(model.coef) != len(data_model()):
            raise ConfigError(f"{path}: {len(model.coef)} weights for {len(data_model())} columns")
        return model


def train(labels: Labels, seed: int = 0) -> MatchModel:
    """Logistic regression over dedupe's distances, regularisation chosen by cross-validated
    F1 as dedupe does it."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    if len(labels.match) < 2 or len(labels.distinct) < 2:
        raise ConfigError(
            f"training needs at least 2 matching and 2 distinct pairs "
            f"(have {len(labels.match)} and {len(labels.distinct)})"
        )
    dm = data_model()
    x = np.asarray(dm.distances([*labels.match, *labels.distinct]), dtype="float64")
    y = np.r_[np.ones(len(labels.match)), np.zeros(len(labels.distinct))]
    folds = max(2, min(5, len(labels.match), len(labels.distinct)))
    search = GridSearchCV(
        LogisticRegression(max_iter=1000, random_state=seed),
        {"C": [0.001, 0.01, 0.1, 1, 10, 100]},
        scoring="f1",
        cv=folds,
        n_jobs=1,
    )
    search.fit(x, y)
    best = search.best_estimator_
    return MatchModel(
        coef=[round(float(c), 8) for c in best.coef_[0]],
        intercept=round(float(best.intercept_[0]), 8),
        trained_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        labels=len(labels),
    )


def logit(p: float) -> float:
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log(p / (1 - p))


def model_record1(record: Mapping[str, object], name_count: int | None = None) -> Record:
    """One record as `model_records` renders it, without pandas (real-time path). name_count:
    how many records carry its name key (itself included), as the candidate lookup found."""
    out: dict[str, str | None] = {}
    key = keys1(dict(record))["formal_names"]
    if key is not None and name_count is not None:
        out["nameFrequency"] = f"{key}|{min(name_count, NAME_COUNT_CAP)}"
    for name in (*FIELD_TYPES, "phone"):
        if name == "nameFrequency":
            continue
        value = record.get(name)
        text = None if value is None else str(value).lower().strip()
        out[name] = text or None
    first = out["firstName"]
    if first is not None:
        first = first.replace(".", "") or None
        first = None if first in TITLES else first
    out["firstName"] = first
    out["formalFirstName"] = FORMAL.get(first, first) if first else None
    out["firstSound"] = (doublemetaphone(first)[0] or None) if first else None
    last = out["lastName"]
    out["lastSound"] = (doublemetaphone(last)[0] or None) if last else None
    phone = out.pop("phone")
    mobile = phone is not None and phone.startswith(MOBILE_PREFIXES)
    out["mobile"] = phone if mobile else None
    out["landline"] = phone if phone is not None and not mobile else None
    out["nameKey"] = " ".join(sorted((first, last))) if first and last else None
    return {name: out.get(name) for name in FIELD_TYPES}
