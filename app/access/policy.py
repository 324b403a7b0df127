"""The one table of who may do what: which capability reads each kind of data (by GraphQL
type, wherever a query reaches it), runs each mutation, and opens each export and page; and
which fields hold personal data, of what kind, and on which contact channel.

GraphQL (app/api/guard.py, app/api/access.py), the CSV export, the pages and the CLI all ask
here. tests/access/test_policy.py holds every type, mutation and route of the app to it."""

from __future__ import annotations

from collections.abc import Iterable

from app.access.roles import Identity

# Object types and the capability that reads them. Connection and edge types follow their
# node (CustomerConnection, CustomerEdge -> Customer).
TYPE_CAPABILITY: dict[str, str] = {
    **dict.fromkeys(
        (
            "Customer",
            "Attribute",
            "DeclaredIdentifier",
            "Email",
            "Phone",
            "Address",
            "AccountHolding",
            "DeviceUse",
            "Interaction",
            "TimelineEntry",
        ),
        "read:customers",
    ),
    **dict.fromkeys(
        (
            "Profile",
            "ProfileMetric",
            "HistoryPoint",
            "ConsentDecision",
            "ConsentStatement",
            "ProfileHit",
        ),
        "read:profiles",
    ),
    **dict.fromkeys(
        ("Match", "FieldWeight", "ClusterEdge", "ReviewConnection", "ReviewEdge"), "read:matches"
    ),
    **dict.fromkeys(
        ("Household", "Membership", "Contact", "GroupMetric", "HouseholdRole"), "read:households"
    ),
    **dict.fromkeys(("Alert", "WebhookDelivery"), "read:alerts"),
    **dict.fromkeys(("AlertRule", "AlertFilter", "MetricDefinition"), "read:definitions"),
    **dict.fromkeys(("AuditEvent", "AuditConnection", "AuditEdge"), "read:audit"),
}

# Types anyone signed in may see where a permitted field leads: paging, mutation payloads
# (their nested data is checked by its own type), GraphQL's own.
OPEN_TYPES: frozenset[str] = frozenset(
    {
        "Query",
        "Mutation",
        "PageInfo",
        "MatchDecisionPayload",
        "MergeProfilesPayload",
        "SplitCustomerPayload",
        "UpsertCustomerRecordPayload",
        "RecordMatch",
        "BlankedValue",
        "RecordInteractionPayload",
        "UpdateAccountPayload",
        "MetricChange",
        "SetConsentPayload",
        "ErasurePayload",
    }
)

# Root fields with a capability of their own (beyond the type they return).
QUERY_CAPABILITY: dict[str, frozenset[str]] = {
    "myData": frozenset({"self"}),
    "subjectAccess": frozenset({"subject-access"}),
}

# Every mutation and the capabilities that may run it (any one of them).
MUTATION_CAPABILITY: dict[str, frozenset[str]] = {
    "confirmMatch": frozenset({"steward"}),
    "rejectMatch": frozenset({"steward"}),
    "mergeProfiles": frozenset({"steward"}),
    "splitCustomer": frozenset({"steward"}),
    "upsertCustomerRecord": frozenset({"records:write"}),
    "recordInteraction": frozenset({"records:write"}),
    "updateAccount": frozenset({"records:write"}),
    "defineMetric": frozenset({"define"}),
    "defineAlertRule": frozenset({"define"}),
    "removeAlertRule": frozenset({"define"}),
    "acknowledgeAlert": frozenset({"alerts:acknowledge"}),
    "setConsent": frozenset({"consent:write", "self"}),  # self: one's own only
    "eraseProfile": frozenset({"erase"}),
}

# HTTP routes other than /graphql (which any signed-in identity may open: GraphiQL and the
# endpoint; what a query then reaches is checked field by field).
ROUTE_CAPABILITY: dict[str, frozenset[str]] = {
    "/export/households.csv": frozenset({"export"}),
    "/me": frozenset({"self"}),
    "/me.json": frozenset({"self"}),
    "/subject-access/{profile_id}": frozenset({"subject-access"}),
    "/subject-access/{profile_id}.json": frozenset({"subject-access"}),
    # The people's pages (app/api/ui.py); what each shows is then checked field by field.
    **dict.fromkeys(
        ("/ui", "/ui/search", "/ui/profiles/{profile_id}"), frozenset({"read:profiles"})
    ),
    "/ui/profiles/{profile_id}/dial": frozenset({"read:customers"}),
    "/ui/alerts/{alert_id}/acknowledge": frozenset({"alerts:acknowledge"}),
    **dict.fromkeys(
        ("/ui/households/{household_id}", "/ui/segments", "/ui/segments/results"),
        frozenset({"read:households"}),
    ),
    **dict.fromkeys(
        ("/ui/desk", "/ui/desk/pair", "/ui/desk/audit", "/ui/desk/act"), frozenset({"steward"})
    ),
}


def type_capability(type_name: str) -> str | None:
    """The capability reading a GraphQL object type; None for open ones."""
    base = type_name
    for suffix in ("Connection", "Edge"):
        if base.endswith(suffix) and base[: -len(suffix)] in TYPE_CAPABILITY:
            base = base[: -len(suffix)]
    return TYPE_CAPABILITY.get(base)


def allowed(identity: Identity, any_of: Iterable[str]) -> bool:
    return any(identity.can(c) for c in any_of)


# -- personal data ---------------------------------------------------------------------------
# Kinds of personal data, each with its mask (app/access/masking.py).
NAME, EMAIL, PHONE, ADDRESS, POSTCODE, BIRTH_DATE, DEVICE, EVIDENCE, ANY = (
    "name",
    "email",
    "phone",
    "address",
    "postcode",
    "birthDate",
    "device",
    "evidence",
    "any",
)

# Leaf fields holding personal data: masked for identities without read:pii.
PII_FIELDS: dict[tuple[str, str], str] = {
    ("Customer", "firstName"): NAME,
    ("Customer", "lastName"): NAME,
    ("Customer", "dateOfBirth"): BIRTH_DATE,
    ("Email", "email"): EMAIL,
    ("Phone", "phone"): PHONE,
    ("Address", "addressId"): ADDRESS,
    ("Address", "street"): ADDRESS,
    ("Address", "postcode"): POSTCODE,
    ("DeviceUse", "deviceId"): DEVICE,
    ("Interaction", "deviceId"): DEVICE,
    ("Profile", "firstName"): NAME,
    ("Profile", "lastName"): NAME,
    ("Profile", "dateOfBirth"): BIRTH_DATE,
    ("Profile", "email"): EMAIL,
    ("Profile", "phone"): PHONE,
    ("Profile", "addressId"): ADDRESS,
    ("Profile", "street"): ADDRESS,
    ("Profile", "postcode"): POSTCODE,
    ("Contact", "firstName"): NAME,
    ("Contact", "lastName"): NAME,
    ("Contact", "email"): EMAIL,
    ("Contact", "phone"): PHONE,
    ("Contact", "street"): ADDRESS,
    ("Contact", "postcode"): POSTCODE,
    ("Household", "addressId"): ADDRESS,
    ("Membership", "evidence"): EVIDENCE,
    ("BlankedValue", "value"): ANY,
    ("Attribute", "value"): ANY,  # kept beside a record: an occupation is personal data
    ("DeclaredIdentifier", "value"): ANY,  # a national ID, a loyalty number
}

# Contact channels: a marketing use shows a person's data on a channel only with their
# marketing consent on it. The fields below sit on a person (Customer, Profile, Contact,
# Membership) or, for Household.addressId, on their household (its decision-maker's).
EMAIL_CH, PHONE_CH, SMS_CH, POST_CH = "email", "phone", "sms", "post"
CHANNELS: tuple[str, ...] = (EMAIL_CH, PHONE_CH, SMS_CH, POST_CH)
CHANNEL_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("Customer", "emails"): (EMAIL_CH,),
    ("Customer", "phones"): (PHONE_CH, SMS_CH),  # a number serves calls and texts
    ("Customer", "addresses"): (POST_CH,),
    ("Profile", "emails"): (EMAIL_CH,),  # the 360's identifiers of all its records
    ("Profile", "phones"): (PHONE_CH, SMS_CH),
    ("Profile", "addresses"): (POST_CH,),
    ("Profile", "email"): (EMAIL_CH,),
    ("Profile", "phone"): (PHONE_CH, SMS_CH),
    ("Profile", "addressId"): (POST_CH,),
    ("Profile", "street"): (POST_CH,),
    ("Profile", "city"): (POST_CH,),
    ("Profile", "postcode"): (POST_CH,),
    ("Contact", "email"): (EMAIL_CH,),
    ("Contact", "phone"): (PHONE_CH, SMS_CH),
    ("Contact", "street"): (POST_CH,),
    ("Contact", "city"): (POST_CH,),
    ("Contact", "postcode"): (POST_CH,),
    ("Household", "addressId"): (POST_CH,),
}
# Evidence entries ("kind:value") by kind: which channel a value is contact data on.
EVIDENCE_CHANNELS: dict[str, tuple[str, ...]] = {
    "email": (EMAIL_CH,),
    "phone": (PHONE_CH, SMS_CH),
    "address": (POST_CH,),
    "postcode": (POST_CH,),
}
# The PII kinds a person-level field reveals when read unmasked (what the audit records).
AUDITED_FIELDS: dict[tuple[str, str], str] = {
    **{k: v for k, v in PII_FIELDS.items() if k[0] in ("Customer", "Profile", "Contact")},
    ("Customer", "emails"): EMAIL,
    ("Customer", "phones"): PHONE,
    ("Customer", "addresses"): ADDRESS,
    ("Customer", "devices"): DEVICE,
    ("Customer", "attributes"): ANY,
    ("Customer", "declaredIdentifiers"): ANY,
    ("Profile", "emails"): EMAIL,
    ("Profile", "phones"): PHONE,
    ("Profile", "addresses"): ADDRESS,
    ("Profile", "devices"): DEVICE,
    ("Membership", "evidence"): EVIDENCE,
    ("Household", "addressId"): ADDRESS,
}

# Keys of an audit event's before/after (JSON) whose values are personal data, masked like
# the fields above for identities without read:pii; "id_*" (declared identifiers) as ANY.
AUDIT_PII_KEYS: dict[str, str] = {
    "firstName": NAME,
    "middleName": NAME,
    "lastName": NAME,
    "fullName": NAME,
    "dateOfBirth": BIRTH_DATE,
    "email": EMAIL,
    "phone": PHONE,
    "street": ADDRESS,
    "addressId": ADDRESS,
    "postcode": POSTCODE,
    "deviceId": DEVICE,
}


def audit_pii_kind(key: str) -> str | None:
    """The kind of personal data an audit value under this key is, or None."""
    return ANY if key.startswith("id_") else AUDIT_PII_KEYS.get(key)


# Root fields whose every read is a marketing use, whoever asks (the marketing query).
MARKETING_FIELDS: frozenset[str] = frozenset({"households"})
