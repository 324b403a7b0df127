"""The one-record path of preparing a customer record (`idgraph upsert`, GraphQL, real
time): the same rules as the column path in app/ingestion/rows.py, a value at a time
(tests/ingestion/test_scalar_agreement.py holds the two equal on generated rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.ingestion import dates, names
from app.ingestion import normalize as norm
from app.ingestion.fields import CONSENT_FIELDS
from app.ingestion.fresh import stamp
from app.ingestion.gender import gender1
from app.ingestion.mapping import Mapping
from app.ingestion.rows import (
    CUSTOMER_KEYS,
    Prepared,
    attr_property,
    blank_line,
    id_property,
    identifier_id,
    identifier_rows,
    key_reason,
    linked_keys,
    quarantine_line,
    raw_problem1,
    too_many_bytes,
)
from app.settings import EARLIEST_BIRTH_YEAR


def prepare_customer_record(
    record: dict[str, Any],
    mapping: Mapping,
    *,
    file: str,
    row: int,
    max_len: int,
    country: str,
    identifier_types: Iterable[str] = (),
    earliest_year: int = EARLIEST_BIRTH_YEAR,
) -> Prepared:
    """One record, by the same rules as prepare_customers, without pandas (the real-time
    path; tests/ingestion/test_scalar_agreement.py keeps the two equal). A bad value is
    blanked and listed in `blanked`; only a bad key quarantines the record."""
    out = Prepared()
    reason: str | None = None
    blanks: list[tuple[str, str, Any, str]] = []  # column, field, value, reason

    def refuse(message: str) -> None:
        nonlocal reason
        reason = reason or message

    def checked(column: str, target: str, label: str, value: Any) -> Any:
        problem = raw_problem1(record[column], max_len)
        if problem is None:
            return value
        if target in CUSTOMER_KEYS:
            refuse(f"field {column} ({target}) {problem}")
            return value
        if value is not None:
            blanks.append((column, label, value, problem))
        return None

    canon: dict[str, Any] = {}
    for target in mapping.targets:
        columns = [c for c in mapping.sources_of(target) if c in record]
        if not columns:
            continue
        value = norm.join_parts1([record[c] for c in columns])
        for column in columns:
            value = checked(column, target, target, value)
        canon[target] = value
    for target, default in mapping.defaults.items():
        if canon.get(target) is None:
            canon[target] = default
    attrs: dict[str, Any] = {}
    for column, name in mapping.attributes.items():
        prop = attr_property(name)
        value = norm.clean1(record.get(column))
        attrs[prop] = checked(column, prop, prop, value) if column in record else value
    account_attrs: dict[str, Any] = {}
    for column, prop in mapping.account_attributes.items():
        label = f"Account.{prop}"
        value = norm.clean1(record.get(column))
        value = checked(column, label, label, value) if column in record else value
        account_attrs[prop] = norm.typed1(value)

    key = canon.get("sourceKey")
    if key is None:
        refuse(f"empty key (column {mapping.column_label('sourceKey')})")
    elif too_many_bytes(f"{mapping.source}:{key}"):
        refuse(key_reason("customerId"))
    if reason is not None:
        out.quarantined = [quarantine_line(file, row, reason, dict(record))]
        return out

    def blank(field_: str, why: str) -> None:
        blanks.append((mapping.column_label(field_), field_, canon.get(field_), why))

    first, middle, last = (
        norm.name1(canon.get(f)) for f in ("firstName", "middleName", "lastName")
    )
    if "fullName" in canon:
        f2, m2, l2 = names.split_full_name1(canon["fullName"])
        first, middle, last = first or f2, middle or m2, last or l2
    email, bad = norm.email1(canon.get("email"))
    if bad:
        blank("email", "invalid email")
    gender, bad = gender1(canon.get("gender"))
    if bad:
        blank("gender", "invalid gender")
    ctry = norm.country1(canon.get("country"), country)
    region = norm.phone_region1(ctry, country)
    phone, phone_type, bad = norm.phone_parts1(canon.get("phone"), region)
    if bad:
        blank("phone", f"invalid phone for region {region}")
    dob, problem = dates.date1(
        canon.get("dateOfBirth"),
        mapping.formats.get("dateOfBirth"),
        mapping.earliest_year("dateOfBirth", earliest_year),
    )
    if problem:
        blank("dateOfBirth", problem)
    updated, _, bad = dates.timestamp1(canon.get("updatedAt"), mapping.formats.get("updatedAt"))
    if bad:
        blank("updatedAt", "invalid date-time")
    consent, bad = norm.consent1(canon.get("marketingConsent"))
    if bad:
        blank("marketingConsent", "invalid consent")
    consents = {}
    for name in CONSENT_FIELDS:
        consents[name], bad = norm.consent1(canon.get(name))
        if bad:
            blank(name, "invalid consent")
    basis, bad = norm.legal_basis1(canon.get("consentBasis"))
    if bad:
        blank("consentBasis", "invalid legal basis")
    postcode = norm.postcode1(canon.get("postcode"), ctry)
    street, city = canon.get("street"), norm.name1(canon.get("city"))
    address = norm.address_id1(street, postcode, city, ctry)
    if address is not None and too_many_bytes(address):
        blank("street", key_reason("address key"))
        address = None
    ids = {t: norm.identifier1(canon.get(t)) for t in mapping.identifiers}
    for t, v in ids.items():
        if v is not None and too_many_bytes(identifier_id(t, v)):
            blank(t, key_reason("identifier key"))
            ids[t] = None

    customer_id = f"{mapping.source}:{key}"
    props = {
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
        **{id_property(t): None for t in identifier_types},
        **{id_property(t): v for t, v in ids.items()},
        **attrs,
    }
    device, account = canon.get("deviceId"), canon.get("accountId")
    role = norm.lower1(canon.get("accountRole"))
    found = [(t, v) for t, v in ids.items() if v is not None]
    out.loaded = 1
    out.writes["upsert_customers"] = [{"customerId": customer_id, "props": props}]
    out.writes["unlink_stale_identifiers"] = [
        {
            "customerId": customer_id,
            "keys": linked_keys((email, phone, address, device, account), found),
        }
    ]
    out.writes["link_emails"] = [{"customerId": customer_id, "email": email}] if email else []
    out.writes["link_phones"] = [{"customerId": customer_id, "phone": phone}] if phone else []
    out.writes["link_addresses"] = (
        [
            {
                "customerId": customer_id,
                "addressId": address,
                "props": {"street": street, "city": city, "postcode": postcode, "country": ctry},
            }
        ]
        if address
        else []
    )
    out.writes["link_devices"] = (
        [{"customerId": customer_id, "deviceId": device, "seen": updated}] if device else []
    )
    out.writes["link_accounts"] = (
        [{"customerId": customer_id, "accountId": account, "role": role or "holder"}]
        if account
        else []
    )
    attributes = {k: v for k, v in account_attrs.items() if v is not None}
    out.writes["set_account_attributes"] = (
        [{"accountId": account, "props": attributes}] if account and attributes else []
    )
    out.writes["link_identifiers"] = identifier_rows(customer_id, found)
    stamp(out.writes)
    out.blanked = [blank_line(file, row, c, f, v, r) for c, f, v, r in blanks]
    return out
