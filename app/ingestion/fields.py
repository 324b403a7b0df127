"""Canonical fields every source is mapped onto, per record kind."""

from typing import Literal

Kind = Literal["customers", "interactions"]

# Customer properties of what a mapping declares beyond the canonical fields: identifiers
# (id_nationalId) and attributes (attr_occupation).
IDENTIFIER_PREFIX = "id_"
ATTRIBUTE_PREFIX = "attr_"

# Canonical customer fields. sourceKey is the source system's own key for the record.
CUSTOMER_FIELDS: tuple[str, ...] = (
    "sourceKey",
    "firstName",
    "middleName",  # a middle name or initial
    "lastName",
    "fullName",  # split into first/middle/last when those are not mapped or empty
    "dateOfBirth",
    "gender",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "deviceId",
    "accountId",
    "accountRole",  # owner | payer | member | user
    "marketingConsent",  # yes/no, true/false, opt-in/opt-out...; blank when the source has none
    # Consent per channel (marketing) and per purpose, in the same words; the record's
    # updatedAt dates them, consentBasis names their lawful basis (docs/security.md).
    "emailConsent",
    "phoneConsent",
    "smsConsent",
    "postConsent",
    "profilingConsent",
    "sharingConsent",
    "consentBasis",  # consent, contract, legitimate interests, ... (GDPR Art. 6)
    "updatedAt",
)
# The consent fields besides marketingConsent, as stored on the Customer (app/privacy/consent.py).
CONSENT_FIELDS: tuple[str, ...] = (
    "emailConsent",
    "phoneConsent",
    "smsConsent",
    "postConsent",
    "profilingConsent",
    "sharingConsent",
)
CUSTOMER_REQUIRED: tuple[str, ...] = ("sourceKey",)

# Canonical interaction fields. customerKey is the sourceKey of the customer in the same source.
INTERACTION_FIELDS: tuple[str, ...] = (
    "interactionId",
    "customerKey",
    "type",  # purchase, pos, web_click, email_open, email_click, call, complaint, data_usage
    "channel",
    "timestamp",
    "value",
    "deviceId",
    "accountId",
)
INTERACTION_REQUIRED: tuple[str, ...] = ("interactionId", "customerKey", "type", "timestamp")

FIELDS: dict[str, tuple[str, ...]] = {
    "customers": CUSTOMER_FIELDS,
    "interactions": INTERACTION_FIELDS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": CUSTOMER_REQUIRED,
    "interactions": INTERACTION_REQUIRED,
}
