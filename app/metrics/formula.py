"""Formula metrics: simpleeval (no eval) over whole columns at once. Each metric a formula
reads is a numpy array (numbers as float64 with NaN for none, text as objects), so one
evaluation serves 100k profiles in a batch or the one profile of an event alike."""

from __future__ import annotations

import ast
import operator as op
from collections.abc import Mapping
from typing import Any

import numpy as np
from simpleeval import SimpleEval

Column = np.ndarray[Any, Any]


def _as_float(x: Any) -> Any:
    return x.astype(np.float64) if isinstance(x, np.ndarray) and x.dtype == bool else x


def _power(a: Any, b: Any) -> Any:
    return np.power(np.asarray(a, dtype=np.float64), np.clip(b, -64, 64))


def _coalesce(*columns: Any) -> Any:
    out = np.asarray(columns[0], dtype=object).copy()
    for c in columns[1:]:
        missing = np.array([v is None or (isinstance(v, float) and np.isnan(v)) for v in out])
        out = np.where(missing, c, out) if missing.ndim else (c if missing else out)
    return out


_OPERATORS: dict[type, Any] = {
    ast.Add: op.add,
    ast.Sub: op.sub,
    ast.Mult: op.mul,
    ast.Div: op.truediv,
    ast.FloorDiv: op.floordiv,
    ast.Mod: op.mod,
    ast.Pow: _power,
    ast.Eq: op.eq,
    ast.NotEq: op.ne,
    ast.Gt: op.gt,
    ast.Lt: op.lt,
    ast.GtE: op.ge,
    ast.LtE: op.le,
    ast.USub: op.neg,
    ast.UAdd: op.pos,
    ast.BitAnd: np.logical_and,
    ast.BitOr: np.logical_or,
    ast.Not: np.logical_not,
    ast.Invert: np.logical_not,
}

_FUNCTIONS: dict[str, Any] = {
    "abs": np.abs,
    "min": np.fmin,
    "max": np.fmax,
    "round": lambda x, n=0: np.round(np.asarray(x, dtype=np.float64), int(n)),
    "log": np.log,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "where": lambda c, a, b: np.where(np.asarray(c, dtype=bool), a, b),
    "coalesce": _coalesce,
    "clip": np.clip,
}


def _evaluator(names: Mapping[str, Any]) -> SimpleEval:
    return SimpleEval(operators=_OPERATORS, functions=_FUNCTIONS, names=dict(names))


def evaluate(expression: str, columns: Mapping[str, Column], n: int) -> list[Any]:
    """The expression for each of n rows: numbers (None for NaN/inf), booleans or text."""
    names = {k: _as_float(v) for k, v in columns.items()}
    with np.errstate(all="ignore"):
        result = _evaluator(names).eval(expression)
    arr = np.asarray(result)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype)
    if arr.dtype == bool:
        return [bool(v) for v in arr]
    if np.issubdtype(arr.dtype, np.number):
        f = arr.astype(np.float64)
        return [float(v) if np.isfinite(v) else None for v in f]
    return [None if v is None or (isinstance(v, float) and not np.isfinite(v)) else v for v in arr]


def check(expression: str, names: tuple[str, ...]) -> None:
    """Evaluate once on sample columns, so a formula that cannot run is refused when it is
    defined rather than in every batch. Raises ValueError with the reason."""
    sample = {name: np.array([1.0, 2.0]) for name in names}
    try:
        evaluate(expression, sample, 2)
    except Exception as exc:  # simpleeval raises many kinds; all mean the same here
        raise ValueError(f"{expression!r} cannot be evaluated: {exc}") from None
