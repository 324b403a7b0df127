"""Pure step from a chunk of raw source rows to graph-write rows, plus what was set aside:
whole records with a bad key (quarantined) and single bad values (blanked; the record loads
without them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.ingestion import dates, names
from app.ingestion import normalize as norm
from app.ingestion.fields import ATTRIBUTE_PREFIX, CONSENT_FIELDS, IDENTIFIER_PREFIX
from app.ingestion.fresh import stamp
from app.ingestion.gender import gender1
from app.ingestion.mapping import Mapping
from app.ingestion.reader import Chunk
from app.settings import EARLIEST_BIRTH_YEAR
from app.values import BAD_CHARS, MAX_KEY_BYTES, scalar_problem, value_problem

Row = dict[str, Any]

CUSTOMER_KEYS: tuple[str, ...] = ("sourceKey",)
INTERACTION_KEYS: tuple[str, ...] = ("interactionId", "customerKey", "type", "timestamp")
# The identifier nodes a customer links to, by label (unlink_stale_identifiers' keys).
LINKED_LABELS: tuple[str, ...] = ("Email", "Phone", "Address", "Device", "Account")


def id_property(identifier_type: str) -> str:
    """Customer property holding an identifier's normalised value."""
    return IDENTIFIER_PREFIX + identifier_type


def attr_property(name: str) -> str:
    """Customer property holding an attribute (kept; compared only where a mapping says
    so, `compareAttributes`)."""
    return ATTRIBUTE_PREFIX + name


def identifier_id(identifier_type: str, value: str) -> str:
    """Key of an Identifier node."""
    return f"{identifier_type}:{value}"


@dataclass
class Prepared:
    """Query name -> rows for it, in write order; plus what was set aside."""

    writes: dict[str, list[Row]] = field(default_factory=dict)
    quarantined: list[Row] = field(default_factory=list)  # whole records, action "quarantined"
    blanked: list[Row] = field(default_factory=list)  # single values, action "blanked"
    loaded: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # record key -> its row in the file


def quarantine_line(file: str, row: int, reason: str, raw: dict[str, Any]) -> Row:
    return {"file": file, "row": row, "reason": reason, "raw": raw, "action": "quarantined"}


def blank_line(file: str, row: int, column: str, field: str, value: Any, reason: str) -> Row:
    return {
        "file": file,
        "row": row,
        "column": column,
        "field": field,
        "value": value,
        "reason": reason,
        "action": "blanked",
    }


def _too_long(max_len: int) -> str:
    return f"longer than {max_len} chars"


def raw_problem1(raw: Any, max_len: int) -> str | None:
    """Why one value as read is bad before any field rule looks at it (app/values.py): a
    list or object where one value belongs, a NUL byte or control character, or too long."""
    if raw is None or (isinstance(raw, float) and raw != raw):
        return None
    nested = scalar_problem(raw)
    if nested:
        return nested
    text = str(raw)
    return value_problem(text) or (_too_long(max_len) if len(text) > max_len else None)


def _raw_problems(raw: pd.Series, nested: dict[Any, str], max_len: int) -> pd.Series:
    """raw_problem1 over a column (nested: the reader's list/object cells by index, kept as
    their JSON text): None where the value is fine. Most columns have no control character
    at all, which one search over the joined column tells."""
    reason = pd.Series(None, index=raw.index, dtype="object")
    text = raw.astype("str")
    present = raw.notna()
    if present.any() and norm.any_match(BAD_CHARS, text[present]):
        bad = text.str.contains(BAD_CHARS, regex=True).fillna(False).astype(bool) & present
        reason[bad] = norm.apply1(value_problem, raw[bad])
    too_long = (text.str.len() > max_len).fillna(False).astype(bool) & present
    reason = reason.mask(too_long & reason.isna(), _too_long(max_len))
    for idx, why in nested.items():
        reason[idx] = why
    return reason


def _key_bytes(key: pd.Series) -> pd.Series:
    """Keys built from several values (`<source>:<key>`, an address key) that are longer than
    a key may be, in UTF-8 bytes."""
    long = (key.str.len() > MAX_KEY_BYTES // 4).fillna(False).astype(bool)
    if not long.any():
        return long
    size = pd.Series(
        [len(k.encode("utf-8", "surrogatepass")) for k in key[long].astype("str")],
        index=key[long].index,
    )
    out = long.copy()
    out[long] = size > MAX_KEY_BYTES
    return out


def too_many_bytes(key: str) -> bool:
    return len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES


def key_reason(what: str) -> str:
    return f"{what} longer than {MAX_KEY_BYTES:,} bytes"


# ---- the column path --------------------------------------------------------------------


class _SetAside:
    """A chunk's refused records (the first reason counts) and blanked values."""

    def __init__(self, chunk: Chunk, file: str) -> None:
        self.chunk, self.file = chunk, file
        self.reason = pd.Series(None, index=chunk.frame.index, dtype="object")
        self._blanks: list[tuple[pd.Series, str, str, pd.Series, pd.Series | str]] = []

    def refuse(self, mask: pd.Series, message: pd.Series | str) -> None:
        new = mask & self.reason.isna()
        if new.any():
            msg = message if isinstance(message, str) else message[new]
            self.reason = self.reason.mask(new, msg)

    def blank(
        self, mask: pd.Series, column: str, field: str, value: pd.Series, reason: pd.Series | str
    ) -> None:
        if mask.any():
            self._blanks.append((mask, column, field, value, reason))

    @property
    def ok(self) -> pd.Series:
        return self.reason.isna()

    def quarantined(self) -> list[Row]:
        out = [quarantine_line(self.file, n, reason, raw) for n, raw, reason in self.chunk.bad]
        bad = self.reason.notna()
        if bad.any():
            rows = pd.Series(self.chunk.rows, index=self.chunk.frame.index)
            raws = _records(self.chunk.frame[bad])
            for n, reason, raw in zip(rows[bad], self.reason[bad], raws, strict=True):
                out.append(quarantine_line(self.file, int(n), reason, raw))
        return out

    def blanked(self) -> list[Row]:
        """One line per blanked value of the records that load, by row, then check order."""
        rows = pd.Series(self.chunk.rows, index=self.chunk.frame.index)
        out: list[Row] = []
        for mask, column, field_, value, reason in self._blanks:
            hit = mask & self.ok
            reasons = [reason] * int(hit.sum()) if isinstance(reason, str) else reason[hit]
            for n, v, r in zip(rows[hit], norm.values(value[hit]), reasons, strict=True):
                out.append(blank_line(self.file, int(n), column, field_, v, r))
        return sorted(out, key=lambda line: line["row"])


def _records(df: pd.DataFrame) -> list[Row]:
    # Column-wise conversion, then zip: several times faster than DataFrame.to_dict.
    names = [str(c) for c in df.columns]
    return [
        dict(zip(names, vals, strict=True))
        for vals in zip(*map(norm.values, (df[c] for c in df.columns)), strict=True)
    ]


def _none(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype="object")


def _canonical(
    chunk: Chunk, mapping: Mapping, max_len: int, keys: Sequence[str], aside: _SetAside
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Mapped fields as clean text (combined columns joined), attributes and account
    attributes; a value that is bad as read (raw_problem1: nested, a control character, too
    long) is blanked, and a key's refuses the record."""
    frame = chunk.frame

    def checked(column: str, target: str, label: str, value: pd.Series) -> pd.Series:
        reason = _raw_problems(frame[column], chunk.nested.get(column, {}), max_len)
        bad = reason.notna()
        if not bad.any():
            return value
        if target in keys:
            aside.refuse(bad, f"field {column} ({target}) " + reason[bad])
            return value
        aside.blank(bad & value.notna(), column, label, value, reason)
        return value.where(~bad, None)

    out: dict[str, pd.Series] = {}
    for target in mapping.targets:
        columns = [c for c in mapping.sources_of(target) if c in frame.columns]
        if not columns:
            continue
        value = norm.join_parts([frame[c] for c in columns])
        for column in columns:
            value = checked(column, target, target, value)
        out[target] = value
    df = pd.DataFrame(out, index=frame.index)
    for target, default in mapping.defaults.items():
        df[target] = df[target].where(df[target].notna(), default) if target in df else default
    attrs = pd.DataFrame(index=frame.index)
    for column, name in mapping.attributes.items():
        prop = attr_property(name)
        value = norm.blank_to_na(frame[column]) if column in frame else _none(frame.index)
        attrs[prop] = checked(column, prop, prop, value) if column in frame else value
    account = pd.DataFrame(index=frame.index)
    for column, prop in mapping.account_attributes.items():
        label = f"Account.{prop}"
        value = norm.blank_to_na(frame[column]) if column in frame else _none(frame.index)
        account[prop] = norm.typed(
            checked(column, label, label, value) if column in frame else value
        )
    return df, attrs, account


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df else _none(df.index)


def _first_seen(keys: pd.Series, rows: list[int], seen: dict[str, int], aside: _SetAside) -> None:
    """Refuse a key already used by an earlier record of the same file."""
    index = keys.index
    values = norm.values(keys)
    earlier = pd.Series([seen.get(k, 0) if k is not None else 0 for k in values], index=index)
    dup_in_chunk = keys.duplicated(keep="first") & keys.notna()
    first_row = pd.Series(rows, index=index).groupby(keys).transform("min")
    earlier = earlier.where(earlier > 0, first_row.where(dup_in_chunk, 0)).fillna(0).astype(int)
    aside.refuse(earlier > 0, "duplicate key (first used at row " + earlier.astype(str) + ")")
    for k, n in zip(values, rows, strict=True):
        if k is not None and k not in seen:
            seen[k] = n


def linked_keys(linked: Sequence[str | None], found: list[tuple[str, str]]) -> list[str]:
    """unlink_stale_identifiers' keys: `<Label>:<key>` of every identifier node the record
    links to (LINKED_LABELS in order, then its Identifier nodes)."""
    return [f"{label}:{v}" for label, v in zip(LINKED_LABELS, linked, strict=True) if v] + [
        f"Identifier:{identifier_id(t, v)}" for t, v in found
    ]


def identifier_rows(customer_id: str, found: list[tuple[str, str]]) -> list[Row]:
    return [
        {"customerId": customer_id, "identifierId": identifier_id(t, v), "type": t, "value": v}
        for t, v in found
    ]


def prepare_customers(
    chunk: Chunk,
    mapping: Mapping,
    *,
    file: str,
    max_len: int,
    country: str,
    seen: dict[str, int],
    identifier_types: Iterable[str] = (),
    earliest_year: int = EARLIEST_BIRTH_YEAR,
) -> Prepared:
    """`identifier_types`: every type the graph knows; a record's `id_<type>` of a type it
    no longer carries is removed, as its HAS_IDENTIFIER edge is. `earliest_year`: the first
    year of birth kept where the mapping does not say (Settings.earliest_birth_year)."""
    aside = _SetAside(chunk, file)
    df, attrs, account_attrs = _canonical(chunk, mapping, max_len, CUSTOMER_KEYS, aside)
    key = _col(df, "sourceKey")
    aside.refuse(key.isna(), f"empty key (column {mapping.column_label('sourceKey')})")
    _first_seen(key, chunk.rows, seen, aside)
    aside.refuse(_key_bytes(mapping.source + ":" + key), key_reason("customerId"))

    def blank(mask: pd.Series, field_: str, reason: pd.Series | str) -> None:
        aside.blank(mask, mapping.column_label(field_), field_, _col(df, field_), reason)

    first, middle, last = (norm.name(_col(df, f)) for f in ("firstName", "middleName", "lastName"))
    if "fullName" in df:
        f2, m2, l2 = names.split_full_name(df["fullName"])
        first, middle, last = (
            a.where(a.notna(), b) for a, b in ((first, f2), (middle, m2), (last, l2))
        )
    email, bad = norm.email(_col(df, "email"))
    blank(bad, "email", "invalid email")
    gender, bad = norm.unzip(norm.apply1(gender1, _col(df, "gender")), 2, df.index)
    blank(bad.astype(bool), "gender", "invalid gender")
    ctry = norm.country(_col(df, "country"), country)
    region = pd.Series(norm.apply1(lambda c: norm.phone_region1(c, country), ctry), index=df.index)
    phone, phone_type, bad = norm.phone(_col(df, "phone"), region)
    blank(bad, "phone", "invalid phone for region " + region)
    dob, problem = dates.date(
        _col(df, "dateOfBirth"),
        mapping.formats.get("dateOfBirth"),
        mapping.earliest_year("dateOfBirth", earliest_year),
    )
    blank(problem.notna(), "dateOfBirth", problem)
    updated, _, bad = dates.timestamp(_col(df, "updatedAt"), mapping.formats.get("updatedAt"))
    blank(bad, "updatedAt", "invalid date-time")
    consent, bad = norm.consent(_col(df, "marketingConsent"))
    blank(bad, "marketingConsent", "invalid consent")
    consents = {}
    for name in CONSENT_FIELDS:
        consents[name], bad = norm.consent(_col(df, name))
        blank(bad, name, "invalid consent")
    basis, bad = norm.legal_basis(_col(df, "consentBasis"))
    blank(bad, "consentBasis", "invalid legal basis")
    postcode = norm.postcode(_col(df, "postcode"), ctry)
    street, city = _col(df, "street"), norm.name(_col(df, "city"))
    address = norm.address_id(street, postcode, city, ctry)
    long = _key_bytes(address)
    blank(long, "street", key_reason("address key"))
    address = address.where(~long, None)
    ids = {t: norm.identifier(_col(df, t)) for t in mapping.identifiers}
    for t, v in ids.items():
        long = _key_bytes(t + ":" + v)
        blank(long, t, key_reason("identifier key"))
        ids[t] = v.where(~long, None)

    ok = aside.ok
    props = pd.DataFrame(
        {
            "source": mapping.source,
            "sourceKey": key,
            "firstName": first,
            "middleName": middle,
            "lastName": last,
            "dateOfBirth": dob,
            "gender": gender,
            "email": email,
            "phone": phone,
            "phoneType": phone_type,
            "street": street,
            "city": city,
            "postcode": postcode,
            "country": ctry,
            "addressId": address,
            "updatedAt": updated,
            "marketingConsent": consent,
            **consents,
            "consentBasis": basis,
            **{id_property(t): _none(df.index) for t in identifier_types},
            **{id_property(t): v for t, v in ids.items()},
            **{c: attrs[c] for c in attrs.columns},
        },
        index=df.index,
    )[ok]
    customer_ids = pd.Series([f"{mapping.source}:{k}" for k in key[ok]], index=props.index)
    device, account = _col(df, "deviceId")[ok], _col(df, "accountId")[ok]
    role = pd.Series(norm.apply1(norm.lower1, _col(df, "accountRole")), index=df.index)[ok]
    id_values = {t: norm.values(v[ok]) for t, v in ids.items()}
    found = [
        [(t, vals[i]) for t, vals in id_values.items() if vals[i] is not None]
        for i in range(int(ok.sum()))
    ]
    linked = zip(
        *map(norm.values, (props["email"], props["phone"], props["addressId"], device, account)),
        strict=True,
    )
    keys = [linked_keys(row, f) for row, f in zip(linked, found, strict=True)]
    has = props.notna()
    cids = norm.values(customer_ids)
    out = Prepared(loaded=int(ok.sum()))
    out.writes["upsert_customers"] = [
        {"customerId": c, "props": p} for c, p in zip(cids, _records(props), strict=True)
    ]
    out.writes["unlink_stale_identifiers"] = [
        {"customerId": c, "keys": k} for c, k in zip(cids, keys, strict=True)
    ]
    out.writes["link_emails"] = _records(
        pd.DataFrame({"customerId": customer_ids, "email": props["email"]})[has["email"]]
    )
    out.writes["link_phones"] = _records(
        pd.DataFrame({"customerId": customer_ids, "phone": props["phone"]})[has["phone"]]
    )
    addr = props[has["addressId"]]
    out.writes["link_addresses"] = [
        {"customerId": c, "addressId": a, "props": p}
        for c, a, p in zip(
            customer_ids[has["addressId"]],
            addr["addressId"],
            _records(addr[["street", "city", "postcode", "country"]]),
            strict=True,
        )
    ]
    out.writes["link_devices"] = _records(
        pd.DataFrame({"customerId": customer_ids, "deviceId": device, "seen": props["updatedAt"]})[
            device.notna()
        ]
    )
    out.writes["link_accounts"] = _records(
        pd.DataFrame(
            {"customerId": customer_ids, "accountId": account, "role": role.fillna("holder")}
        )[account.notna()]
    )
    out.writes["set_account_attributes"] = _account_attributes(account, account_attrs[ok])
    out.writes["link_identifiers"] = [
        r for c, f in zip(cids, found, strict=True) for r in identifier_rows(c, f)
    ]
    stamp(out.writes)
    out.quarantined = aside.quarantined()
    out.blanked = aside.blanked()
    return out


def _account_attributes(account: pd.Series, attributes: pd.DataFrame) -> list[Row]:
    """set_account_attributes rows: each account with the attributes the row has (a blank
    is not a removal: an account is shared, and one record's silence says nothing)."""
    if attributes.columns.empty:
        return []
    present = account.notna()
    rows = [
        {"accountId": a, "props": {k: v for k, v in p.items() if v is not None}}
        for a, p in zip(norm.values(account[present]), _records(attributes[present]), strict=True)
    ]
    return [r for r in rows if r["props"]]


def prepare_interactions(
    chunk: Chunk, mapping: Mapping, *, file: str, max_len: int, seen: dict[str, int]
) -> Prepared:
    aside = _SetAside(chunk, file)
    df, _, account_attrs = _canonical(chunk, mapping, max_len, INTERACTION_KEYS, aside)
    event, customer = _col(df, "interactionId"), _col(df, "customerKey")
    kind = pd.Series(norm.apply1(norm.event_type1, _col(df, "type")), index=df.index)
    for name, series in (("interactionId", event), ("customerKey", customer), ("type", kind)):
        aside.refuse(series.isna(), f"empty {name} (column {mapping.column_label(name)})")
    _first_seen(event, chunk.rows, seen, aside)
    for name, series in (("interactionId", event), ("customerId", customer)):
        aside.refuse(_key_bytes(mapping.source + ":" + series), key_reason(name))
    raw_ts = _col(df, "timestamp")
    occurred, ts, bad = dates.timestamp(raw_ts, mapping.formats.get("timestamp"))
    aside.refuse(
        bad,
        "invalid date-time '"
        + raw_ts.astype("str")
        + f"' (column {mapping.column_label('timestamp')})",
    )
    aside.refuse(raw_ts.isna(), "empty timestamp")
    value, bad = dates.number(_col(df, "value"))
    aside.blank(bad, mapping.column_label("value"), "value", _col(df, "value"), "invalid number")

    ok = aside.ok
    src = mapping.source
    iid = pd.Series([f"{src}:{e}" for e in event[ok]], index=event[ok].index)
    props = pd.DataFrame(
        {
            "source": src,
            "type": kind,
            "channel": pd.Series(norm.apply1(norm.lower1, _col(df, "channel")), index=df.index),
            "occurredAt": occurred,
            "ts": ts,
            "value": value.where(~bad, None),
        }
    )[ok]
    device, account = _col(df, "deviceId")[ok], _col(df, "accountId")[ok]
    out = Prepared(loaded=int(ok.sum()))
    out.rows = {
        i: int(n)
        for i, n in zip(norm.values(iid), pd.Series(chunk.rows, index=df.index)[ok], strict=True)
    }
    out.writes["upsert_interactions"] = [
        {
            "interactionId": i,
            "customerId": f"{src}:{c}",
            "customerKey": c,
            "source": src,
            "props": p,
        }
        for i, c, p in zip(iid, customer[ok], _records(props), strict=True)
    ]
    out.writes["link_interaction_devices"] = _records(
        pd.DataFrame({"interactionId": iid, "deviceId": device})[device.notna()]
    )
    out.writes["link_interaction_accounts"] = _records(
        pd.DataFrame({"interactionId": iid, "accountId": account})[account.notna()]
    )
    out.writes["set_account_attributes"] = _account_attributes(account, account_attrs[ok])
    stamp(out.writes)
    out.quarantined = aside.quarantined()
    out.blanked = aside.blanked()
    return out
