"""Pure step from a chunk of raw source rows to validated graph-write rows plus quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.ingestion import normalize as norm
from app.ingestion.mapping import Mapping
from app.ingestion.reader import Chunk

Row = dict[str, Any]


@dataclass
class Prepared:
    """Query name -> rows for it, in write order; plus rejected records."""

    writes: dict[str, list[Row]] = field(default_factory=dict)
    quarantined: list[Row] = field(default_factory=list)
    loaded: int = 0


class _Checker:
    """Collects the first reason each row is rejected for."""

    def __init__(self, index: pd.Index) -> None:
        self.reason = pd.Series(None, index=index, dtype="object")

    def flag(self, mask: pd.Series, message: pd.Series | str) -> None:
        new = mask & self.reason.isna()
        if new.any():
            msg = message if isinstance(message, str) else message[new]
            self.reason = self.reason.mask(new, msg)


def _canonical(
    frame: pd.DataFrame, mapping: Mapping, max_len: int, check: _Checker
) -> pd.DataFrame:
    """Rename mapped columns to canonical fields; check sizes; apply defaults."""
    out: dict[str, pd.Series] = {}
    for column, target in mapping.columns.items():
        if column not in frame.columns:
            continue
        raw = frame[column]
        too_long = raw.str.len() > max_len
        check.flag(too_long.fillna(False), f"field {column} ({target}) longer than {max_len} chars")
        out[target] = norm.blank_to_na(raw)
    df = pd.DataFrame(out, index=frame.index)
    for target, value in mapping.defaults.items():
        df[target] = df[target].fillna(value) if target in df else value
    return df


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df:
        return df[name]
    return pd.Series(None, index=df.index, dtype="str")


def _bad(check: _Checker, mask: pd.Series, what: str, raw: pd.Series, column: str) -> None:
    check.flag(mask, f"invalid {what} '" + raw.astype("str") + f"' (column {column})")


def _values(s: pd.Series) -> list[Any]:
    """Column values with every kind of missing (NaN, NA, None) as None."""
    return s.astype(object).where(s.notna(), None).tolist()


def _records(df: pd.DataFrame) -> list[Row]:
    # Column-wise conversion, then zip: several times faster than DataFrame.to_dict.
    names = [str(c) for c in df.columns]
    return [
        dict(zip(names, vals, strict=True))
        for vals in zip(*map(_values, (df[c] for c in df.columns)), strict=True)
    ]


def _source_column(mapping: Mapping, target: str) -> str:
    return next((c for c, t in mapping.columns.items() if t == target), target)


def _quarantine(chunk: Chunk, mapping: Mapping, check: _Checker, file: str) -> list[Row]:
    out = [{"file": file, "row": n, "reason": reason, "raw": raw} for n, raw, reason in chunk.bad]
    bad = check.reason.notna()
    if bad.any():
        rows = pd.Series(chunk.rows, index=chunk.frame.index)
        raws = _records(chunk.frame[bad])
        for n, reason, raw in zip(rows[bad], check.reason[bad], raws, strict=True):
            out.append({"file": file, "row": int(n), "reason": reason, "raw": raw})
    return out


def _first_seen(keys: pd.Series, rows: list[int], seen: dict[str, int], check: _Checker) -> None:
    """Flag a key already used by an earlier record of the same file."""
    index = keys.index
    values = _values(keys)
    earlier = pd.Series([seen.get(k, 0) if k is not None else 0 for k in values], index=index)
    dup_in_chunk = keys.duplicated(keep="first") & keys.notna()
    first_row = pd.Series(rows, index=index).groupby(keys).transform("min")
    earlier = earlier.where(earlier > 0, first_row.where(dup_in_chunk, 0)).fillna(0).astype(int)
    check.flag(earlier > 0, "duplicate key (first used at row " + earlier.astype(str) + ")")
    for k, n in zip(values, rows, strict=True):
        if k is not None and k not in seen:
            seen[k] = n


def prepare_customers(
    chunk: Chunk, mapping: Mapping, *, file: str, max_len: int, country: str, seen: dict[str, int]
) -> Prepared:
    check = _Checker(chunk.frame.index)
    df = _canonical(chunk.frame, mapping, max_len, check)
    key = _col(df, "sourceKey")
    check.flag(key.isna(), f"empty key (column {_source_column(mapping, 'sourceKey')})")
    _first_seen(key, chunk.rows, seen, check)

    first, last = norm.name(_col(df, "firstName")), norm.name(_col(df, "lastName"))
    if "fullName" in df:
        f2, l2 = norm.split_full_name(df["fullName"])
        first, last = first.fillna(f2), last.fillna(l2)
    email, bad = norm.email(_col(df, "email"))
    _bad(check, bad, "email", _col(df, "email"), _source_column(mapping, "email"))
    ctry = norm.country(_col(df, "country"), country)
    phone, bad = norm.phone(_col(df, "phone"), country)
    _bad(check, bad, "phone", _col(df, "phone"), _source_column(mapping, "phone"))
    dob, bad = norm.date(_col(df, "dateOfBirth"), mapping.formats.get("dateOfBirth"))
    _bad(check, bad, "date", _col(df, "dateOfBirth"), _source_column(mapping, "dateOfBirth"))
    updated, _, bad = norm.timestamp(_col(df, "updatedAt"), mapping.formats.get("updatedAt"))
    _bad(check, bad, "date-time", _col(df, "updatedAt"), _source_column(mapping, "updatedAt"))
    consent, bad = norm.consent(_col(df, "marketingConsent"))
    _bad(check, bad, "consent", _col(df, "marketingConsent"),
         _source_column(mapping, "marketingConsent"))  # fmt: skip
    postcode = norm.postcode(_col(df, "postcode"))
    street, city = _col(df, "street"), _col(df, "city").str.title()
    address = norm.address_id(street, postcode, city, ctry)

    ok = check.reason.isna()
    customer_id = mapping.source + ":" + key
    props = pd.DataFrame(
        {
            "source": mapping.source,
            "sourceKey": key,
            "firstName": first,
            "lastName": last,
            "dateOfBirth": dob,
            "gender": _col(df, "gender").str.lower().str[:1],
            "email": email,
            "phone": phone,
            "street": street,
            "city": city,
            "postcode": postcode,
            "country": ctry,
            "addressId": address,
            "updatedAt": updated,
            "marketingConsent": consent,
        }
    )[ok]
    ids = customer_id[ok]
    device, account = _col(df, "deviceId")[ok], _col(df, "accountId")[ok]
    role = _col(df, "accountRole").str.lower()[ok]
    typed = pd.DataFrame(
        {
            "Email": "Email:" + props["email"],
            "Phone": "Phone:" + props["phone"],
            "Address": "Address:" + props["addressId"],
            "Device": "Device:" + device,
            "Account": "Account:" + account,
        }
    )
    keys = [
        [k for k in row if k is not None]
        for row in zip(*(_values(typed[c]) for c in typed.columns), strict=True)
    ]
    has = props.notna()
    out = Prepared(loaded=int(ok.sum()))
    out.writes["upsert_customers"] = [
        {"customerId": c, "props": p} for c, p in zip(ids, _records(props), strict=True)
    ]
    out.writes["unlink_stale_identifiers"] = [
        {"customerId": c, "keys": k} for c, k in zip(ids, keys, strict=True)
    ]
    out.writes["link_emails"] = _records(
        pd.DataFrame({"customerId": ids, "email": props["email"]})[has["email"]]
    )
    out.writes["link_phones"] = _records(
        pd.DataFrame({"customerId": ids, "phone": props["phone"]})[has["phone"]]
    )
    addr = props[has["addressId"]]
    out.writes["link_addresses"] = [
        {"customerId": c, "addressId": a, "props": p}
        for c, a, p in zip(
            ids[has["addressId"]],
            addr["addressId"],
            _records(addr[["street", "city", "postcode", "country"]]),
            strict=True,
        )
    ]
    out.writes["link_devices"] = _records(
        pd.DataFrame({"customerId": ids, "deviceId": device, "seen": props["updatedAt"]})[
            device.notna()
        ]
    )
    out.writes["link_accounts"] = _records(
        pd.DataFrame({"customerId": ids, "accountId": account, "role": role.fillna("holder")})[
            account.notna()
        ]
    )
    out.quarantined = _quarantine(chunk, mapping, check, file)
    return out


def prepare_interactions(
    chunk: Chunk, mapping: Mapping, *, file: str, max_len: int, seen: dict[str, int]
) -> Prepared:
    check = _Checker(chunk.frame.index)
    df = _canonical(chunk.frame, mapping, max_len, check)
    event, customer = _col(df, "interactionId"), _col(df, "customerKey")
    kind = _col(df, "type").str.lower().str.replace(" ", "_", regex=False)
    for name, series in (("interactionId", event), ("customerKey", customer), ("type", kind)):
        check.flag(series.isna(), f"empty {name} (column {_source_column(mapping, name)})")
    _first_seen(event, chunk.rows, seen, check)
    occurred, ts, bad = norm.timestamp(_col(df, "timestamp"), mapping.formats.get("timestamp"))
    _bad(check, bad, "date-time", _col(df, "timestamp"), _source_column(mapping, "timestamp"))
    check.flag(_col(df, "timestamp").isna(), "empty timestamp")
    value, bad = norm.number(_col(df, "value"))
    _bad(check, bad, "number", _col(df, "value"), _source_column(mapping, "value"))

    ok = check.reason.isna()
    src = mapping.source
    iid = (src + ":" + event)[ok]
    props = pd.DataFrame(
        {
            "source": src,
            "type": kind,
            "channel": _col(df, "channel").str.lower(),
            "occurredAt": occurred,
            "ts": ts,
            "value": value,
        }
    )[ok]
    device, account = _col(df, "deviceId")[ok], _col(df, "accountId")[ok]
    out = Prepared(loaded=int(ok.sum()))
    out.writes["upsert_interactions"] = [
        {"interactionId": i, "customerId": src + ":" + c, "customerKey": c, "source": src,
         "props": p}
        for i, c, p in zip(iid, customer[ok], _records(props), strict=True)
    ]  # fmt: skip
    out.writes["link_interaction_devices"] = _records(
        pd.DataFrame({"interactionId": iid, "deviceId": device})[device.notna()]
    )
    out.writes["link_interaction_accounts"] = _records(
        pd.DataFrame({"interactionId": iid, "accountId": account})[account.notna()]
    )
    out.quarantined = _quarantine(chunk, mapping, check, file)
    return out


def prepare_customer_record(
    record: dict[str, Any], mapping: Mapping, *, file: str, row: int, max_len: int, country: str
) -> Prepared:
    """One record, by the same rules as prepare_customers, without pandas (real-time path;
    tests/ingestion/test_scalar_agreement.py keeps the two in step)."""
    out = Prepared()
    reason: str | None = None
    canon: dict[str, str | None] = {}
    for column, target in mapping.columns.items():
        if column not in record:
            continue
        raw = record[column]
        if raw is not None and len(str(raw)) > max_len and reason is None:
            reason = f"field {column} ({target}) longer than {max_len} chars"
        canon[target] = norm.clean1(raw)
    for target, value in mapping.defaults.items():
        if canon.get(target) is None:
            canon[target] = value
    col = {t: c for c, t in mapping.columns.items()}

    def bad(what: str, field: str) -> str:
        return f"invalid {what} '{canon.get(field)}' (column {col.get(field, field)})"

    key = canon.get("sourceKey")
    if key is None and reason is None:
        reason = f"empty key (column {col.get('sourceKey', 'sourceKey')})"
    email, email_bad = norm.email1(canon.get("email"))
    phone, phone_bad = norm.phone1(canon.get("phone"), country)
    dob, dob_bad = norm.date1(canon.get("dateOfBirth"), mapping.formats.get("dateOfBirth"))
    updated, _, updated_bad = norm.timestamp1(
        canon.get("updatedAt"), mapping.formats.get("updatedAt")
    )
    consent, consent_bad = norm.consent1(canon.get("marketingConsent"))
    for failed, message in (
        (email_bad, bad("email", "email")),
        (phone_bad, bad("phone", "phone")),
        (dob_bad, bad("date", "dateOfBirth")),
        (updated_bad, bad("date-time", "updatedAt")),
        (consent_bad, bad("consent", "marketingConsent")),
    ):
        if failed and reason is None:
            reason = message
    if reason is not None:
        out.quarantined = [{"file": file, "row": row, "reason": reason, "raw": dict(record)}]
        return out

    first, last = norm.name1(canon.get("firstName")), norm.name1(canon.get("lastName"))
    if "fullName" in canon:
        f2, l2 = norm.split_full_name1(canon["fullName"])
        first, last = first or f2, last or l2
    ctry = norm.country1(canon.get("country"), country)
    postcode = norm.postcode1(canon.get("postcode"))
    street = canon.get("street")
    raw_city = canon.get("city")
    city = raw_city.title() if raw_city else None
    address = norm.address_id1(street, postcode, city, ctry)
    gender = canon.get("gender")
    customer_id = f"{mapping.source}:{key}"
    props = {
        "source": mapping.source, "sourceKey": key, "firstName": first, "lastName": last,
        "dateOfBirth": dob, "gender": gender.lower()[:1] if gender else None, "email": email,
        "phone": phone, "street": street, "city": city, "postcode": postcode, "country": ctry,
        "addressId": address, "updatedAt": updated, "marketingConsent": consent,
    }  # fmt: skip
    device, account = canon.get("deviceId"), canon.get("accountId")
    role = canon.get("accountRole")
    typed = [("Email", email), ("Phone", phone), ("Address", address), ("Device", device),
             ("Account", account)]  # fmt: skip
    out.loaded = 1
    out.writes["upsert_customers"] = [{"customerId": customer_id, "props": props}]
    out.writes["unlink_stale_identifiers"] = [
        {"customerId": customer_id, "keys": [f"{label}:{v}" for label, v in typed if v is not None]}
    ]
    out.writes["link_emails"] = [{"customerId": customer_id, "email": email}] if email else []
    out.writes["link_phones"] = [{"customerId": customer_id, "phone": phone}] if phone else []
    out.writes["link_addresses"] = (
        [{"customerId": customer_id, "addressId": address,
          "props": {"street": street, "city": city, "postcode": postcode, "country": ctry}}]
        if address else []
    )  # fmt: skip
    out.writes["link_devices"] = (
        [{"customerId": customer_id, "deviceId": device, "seen": updated}] if device else []
    )
    out.writes["link_accounts"] = (
        [{"customerId": customer_id, "accountId": account,
          "role": role.lower() if role else "holder"}] if account else []
    )  # fmt: skip
    return out
