"""Masks for personal data shown to roles without PII access: enough left to tell values
apart at a glance and to count them (the first letter, a domain, a birth year, an outward
postcode), never enough to contact or identify a person. Pure functions of the value."""

from __future__ import annotations

from typing import Any

STAR = "***"


def mask_name(value: str) -> str:
    v = value.strip()
    return f"{v[0]}{STAR}" if v else v


def mask_email(value: str) -> str:
    """j***@example.com: the first letter of the mailbox and the domain."""
    local, at, domain = value.partition("@")
    if not at:
        return mask_name(value)
    return f"{local[:1]}{STAR}@{domain}"


def mask_phone(value: str) -> str:
    """+44*******23: the country prefix's first digits and the last two."""
    digits = [c for c in value if c.isdigit()]
    if len(digits) < 4:
        return STAR
    head = value[:3] if value.startswith("+") else ""
    return f"{head}{'*' * max(len(digits) - 4, 3)}{''.join(digits[-2:])}"


def mask_birth_date(value: str) -> str:
    """The year only: 1980-**-**."""
    return f"{value[:4]}-**-**" if len(value) >= 4 and value[:4].isdigit() else STAR


def mask_postcode(value: str) -> str:
    """The outward code (district) only: LS1 ***."""
    v = value.strip()
    head = v.split()[0] if " " in v else v[: max(len(v) - 3, 1)]
    return f"{head} {STAR}"


def mask_address(value: str) -> str:
    """An address key COUNTRY|POSTCODE|street or a street line: the country, nothing else."""
    if "|" in value:
        return f"{value.split('|', 1)[0]}|{STAR}"
    return STAR


def mask_device(value: str) -> str:
    return f"{STAR}{value[-2:]}" if len(value) > 4 else STAR


def mask_evidence(value: str) -> str:
    """A household's evidence "kind:value": the kind stays, the value is masked by its kind."""
    kind, sep, rest = value.partition(":")
    if not sep:
        return STAR
    masker = _EVIDENCE.get(kind, lambda _v: STAR)
    return f"{kind}:{masker(rest)}"


_BY_KIND = {
    "name": mask_name,
    "email": mask_email,
    "phone": mask_phone,
    "birthDate": mask_birth_date,
    "postcode": mask_postcode,
    "address": mask_address,
    "device": mask_device,
    "evidence": mask_evidence,
}
_EVIDENCE = {
    "email": mask_email,
    "phone": mask_phone,
    "address": mask_address,
    "postcode": mask_postcode,
    "device": mask_device,
    "surname": mask_name,
    "account": lambda v: STAR,
}


def mask(kind: str, value: Any) -> Any:
    """value masked as personal data of this kind; lists item by item; None stays None."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [mask(kind, v) for v in value]
    if not isinstance(value, str):
        return STAR
    return _BY_KIND.get(kind, lambda _v: STAR)(value)
