"""Behavioural events per source: purchases, POS, clicks, opens, calls, data usage.

Each person has an activity level (gamma distributed, so a few people are very
active); it is spread over the person's records in proportion to how busy each
source is, and every event is stamped within [start, start + 365 days).
"""

import numpy as np

from app.synth.common import FloatArray, IntArray, ObjArray, hits
from app.synth.identifiers import Identifiers
from app.synth.sources import CALLCENTER, CRM, LOYALTY, WEBSHOP, Records

INTERACTION_COLUMNS: tuple[str, ...] = (
    "event_id",
    "customer_key",
    "type",
    "channel",
    "ts",
    "amount",
    "device_id",
    "account_no",
)

_TYPES: dict[int, tuple[tuple[str, float], ...]] = {
    CRM: (("email_open", 0.45), ("email_click", 0.15), ("data_usage", 0.40)),
    WEBSHOP: (("purchase", 0.25), ("web_click", 0.45), ("email_open", 0.2), ("email_click", 0.1)),
    LOYALTY: (("pos", 1.0),),
    CALLCENTER: (("call", 0.8), ("complaint", 0.2)),
}
# (channel, weight) per type.
_CHANNELS: dict[str, tuple[tuple[str, float], ...]] = {
    "purchase": (("web", 0.6), ("app", 0.4)),
    "web_click": (("web", 0.7), ("app", 0.3)),
    "email_open": (("email", 1.0),),
    "email_click": (("email", 1.0),),
    "pos": (("store", 1.0),),
    "call": (("phone", 1.0),),
    "complaint": (("phone", 0.7), ("email", 0.2), ("web", 0.1)),
    "data_usage": (("mobile", 0.6), ("broadband", 0.4)),
}
# (log-mean, log-sd) of the amount; data usage is in MB.
_AMOUNTS: dict[str, tuple[float, float]] = {
    "purchase": (3.4, 0.8),
    "pos": (2.7, 0.75),
    "data_usage": (6.0, 1.1),
}
_ACTIVITY = np.array([0.8, 1.2, 1.0, 0.3])  # relative event volume per source
_PREFIX = ("CRM-E", "WEB-E", "LOY-T", "CC-E")
# Share of events per hour of day: online all day with evening peaks; stores and
# the call centre in opening hours.
_ONLINE = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 7, 6, 4, 2]
)
_OPEN = np.array([0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 5, 5, 6, 6, 5, 5, 5, 5, 4, 3, 2, 1, 0, 0])


def event_counts(recs: Records, n_people: int, mean: float, rng: np.random.Generator) -> IntArray:
    """Events per record; records that lost their key get none."""
    level = rng.gamma(1.5, mean / 1.5, n_people)
    weight = _ACTIVITY[recs.source] * (recs.key != "")
    total = np.bincount(recs.person, weights=weight, minlength=n_people)
    share = np.divide(weight, total[recs.person], out=np.zeros(len(weight)), where=weight > 0)
    return rng.poisson(level[recs.person] * share).astype(np.int64)


def _codes(rng: np.random.Generator, items: tuple[tuple[str, float], ...], n: int) -> IntArray:
    w = np.array([x[1] for x in items])
    return rng.choice(len(items), size=n, p=w / w.sum()).astype(np.int64)


def _names(items: tuple[tuple[str, float], ...]) -> ObjArray:
    return np.array([x[0] for x in items], dtype=object)


def events(
    source: int,
    recs: Records,
    counts: IntArray,
    ids: Identifiers,
    start: np.datetime64,
    rng: np.random.Generator,
    mess: float,
) -> dict[str, ObjArray | FloatArray]:
    """Columns of one source's interactions file, ordered by time."""
    idx = recs.of(source)
    rec = np.repeat(idx, counts[idx])
    n = len(rec)
    person = recs.person[rec]
    types = _names(_TYPES[source])
    code = _codes(rng, _TYPES[source], n)

    hours = _OPEN if source in (LOYALTY, CALLCENTER) else _ONLINE
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    offset = rng.integers(0, 365, n) * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    order = np.lexsort((rec, offset))
    rec, person, code, offset = rec[order], person[order], code[order], offset[order]
    kind = types[code]

    account = np.full(n, "", dtype=object)
    device = np.full(n, "", dtype=object)
    acc_pick = ids.accounts.pick(person, rng.random(n))
    dev_pick = ids.devices.pick(person, rng.random(n))
    if source == CRM:
        usage = kind == "data_usage"
        no_account = usage & (acc_pick < 0)
        code[no_account] = 0  # email_open: data usage only exists on an account
        kind = types[code]
        usage &= ~no_account
        account[usage] = ids.accounts.values[acc_pick[usage]]
        with_dev = usage & (dev_pick >= 0) & hits(rng, n, 0.6)
        device[with_dev] = ids.devices.values[dev_pick[with_dev]]
    elif source == WEBSHOP:
        with_dev = (kind != "email_open") & (dev_pick >= 0) & hits(rng, n, 0.85)
        device[with_dev] = ids.devices.values[dev_pick[with_dev]]
    elif source == CALLCENTER:
        on_acc = (acc_pick >= 0) & hits(rng, n, 0.6)
        account[on_acc] = ids.accounts.values[acc_pick[on_acc]]

    channel = np.full(n, "", dtype=object)
    amount = np.full(n, np.nan)
    for c, t in enumerate(types):
        sel = np.flatnonzero(code == c)
        channel[sel] = _names(_CHANNELS[t])[_codes(rng, _CHANNELS[t], len(sel))]
        if t in _AMOUNTS:
            mu, sd = _AMOUNTS[t]
            amount[sel] = np.round(rng.lognormal(mu, sd, len(sel)), 2)

    ts = (start.astype("datetime64[s]") + offset.astype("timedelta64[s]")).astype(str)
    ts = ts.astype(object)
    key = recs.key[rec].copy()
    # A few rows for quarantine: an unreadable time, a key no customer has.
    bad = np.flatnonzero(hits(rng, n, 0.0005 * mess))
    ts[bad] = [("2025-13-01T00:00:00", "yesterday")[i % 2] for i in range(len(bad))]
    orphan = np.flatnonzero(hits(rng, n, 0.0002 * mess))
    key[orphan] = [f"{k}-X" for k in key[orphan]]
    prefix = _PREFIX[source]
    return {
        "event_id": np.array([f"{prefix}{i:09d}" for i in range(1, n + 1)], dtype=object),
        "customer_key": key,
        "type": kind,
        "channel": channel,
        "ts": ts,
        "amount": amount,
        "device_id": device,
        "account_no": account,
    }
