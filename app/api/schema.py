"""The GraphQL schema (graphene): customers with their identifiers, assets and interactions;
the profiles and matches resolution made of them (profiles.py); steward changes (stewards.py)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene import relay
from graphene.types.generic import GenericScalar
from graphql import FieldNode
from starlette.concurrency import run_in_threadpool

from app.api import profiles, reads, records, search
from app.api.alerts import AlertMutation, AlertQuery
from app.api.audit import AuditQuery
from app.api.errors import BadUserInput
from app.api.households import HouseholdQuery
from app.api.inputs import (
    declared_identifier_key,
    decode_cursor,
    encode_cursor,
    normalise_device,
    normalise_email,
    normalise_phone,
    page_size,
)
from app.api.loaders import request_context
from app.api.metrics import MetricsMutation, MetricsQuery
from app.api.paging import connection
from app.api.privacy import PrivacyMutation, PrivacyQuery
from app.api.profiles import MatchConnection, Profile
from app.api.realtime import IdentifierValueInput, RealtimeMutation
from app.api.records import CustomerRecord, ProfileRecord
from app.api.stewards import Mutation as StewardMutation

INTERACTIONS_PAGE = 10
CUSTOMERS_PAGE = 20
_INTERACTION_CURSOR = "interaction"
_CUSTOMER_CURSOR = "customer"


class Email(graphene.ObjectType):
    email = graphene.String(required=True, description="Lower case, no white space.")


class Phone(graphene.ObjectType):
    phone = graphene.String(required=True, description="E.164: + country code and number.")


class Address(graphene.ObjectType):
    address_id = graphene.String(required=True)
    street = graphene.String()
    city = graphene.String()
    postcode = graphene.String()
    country = graphene.String()


class Attribute(graphene.ObjectType):
    class Meta:
        description = (
            "A column a mapping keeps beside the record (`attributes:`): a segment, an "
            "occupation. Resolution compares those the mappings list under compareAttributes."
        )

    name = graphene.String(required=True, description="As the mapping names it.")
    value = graphene.String(required=True, description="As the source wrote it, trimmed.")


class DeclaredIdentifier(graphene.ObjectType):
    class Meta:
        description = (
            "An identifier a mapping declares (`identifiers:`): a national ID, a loyalty "
            "number. Also a node shared by the records that hold it, and compared by "
            "resolution."
        )

    type = graphene.String(required=True, description="As the mapping declares it.")
    value = graphene.String(required=True, description="Normalised as loaded.")


class AccountHolding(graphene.ObjectType):
    account_id = graphene.String(required=True)
    role = graphene.String(description="owner, payer, member or user.")
    attributes = GenericScalar(
        required=True,
        description="The account's attributes by name (a plan's planMb, a product), as a "
        "mapping's accountAttributes or updateAccount set them; {} when it has none.",
    )


class DeviceUse(graphene.ObjectType):
    device_id = graphene.String(required=True)
    first_seen = graphene.String()
    last_seen = graphene.String()


class Interaction(graphene.ObjectType):
    class Meta:
        description = "One behavioural event: a purchase, a web click, a call..."

    id = graphene.ID(required=True, description='"<source>:<eventId>"')
    type = graphene.String()
    channel = graphene.String()
    occurred_at = graphene.String(description="ISO 8601 date-time, UTC.")
    value = graphene.Float()
    device_id = graphene.String(description="The device it came through, if known.")
    account_id = graphene.String(description="The account it was on, if known.")


class InteractionConnection(relay.Connection):
    class Meta:
        node = Interaction
        strict_types = True


def _identifiers(kind: str) -> Any:
    """A resolver for one kind of a customer's identifiers (emails, phones or addresses): the
    three come from one loader call."""

    async def resolve(parent: CustomerRecord, info: graphene.ResolveInfo) -> list[Any]:
        found = await request_context(info).loaders.identifiers.load(parent.id)
        return getattr(found, kind)

    return resolve


def _selected(node: FieldNode, name: str) -> FieldNode | None:
    """The field `name` in the node's own selection (fragments are not looked into: such a
    query reads each part in a read of its own, as any other query does)."""
    selection = node.selection_set
    if selection is None:
        return None
    for s in selection.selections:
        if isinstance(s, FieldNode) and s.name.value == name:
            return s
    return None


class Customer(graphene.ObjectType):
    class Meta:
        description = "One record about a person in one source system."

    id = graphene.ID(required=True, description='customerId: "<source>:<sourceKey>"')
    source = graphene.String()
    source_key = graphene.String()
    first_name = graphene.String()
    last_name = graphene.String()
    date_of_birth = graphene.String(description="YYYY-MM-DD")
    gender = graphene.String()
    updated_at = graphene.String()
    stub = graphene.Boolean(
        required=True, description="Known only from interactions; no record loaded yet."
    )
    emails = graphene.List(graphene.NonNull(Email), required=True, resolver=_identifiers("emails"))
    phones = graphene.List(graphene.NonNull(Phone), required=True, resolver=_identifiers("phones"))
    addresses = graphene.List(
        graphene.NonNull(Address), required=True, resolver=_identifiers("addresses")
    )
    attributes = graphene.List(
        graphene.NonNull(Attribute), required=True, description="By name; personal data."
    )
    declared_identifiers = graphene.List(
        graphene.NonNull(DeclaredIdentifier), required=True, description="By type; personal data."
    )
    accounts = graphene.List(graphene.NonNull(AccountHolding), required=True)
    devices = graphene.List(graphene.NonNull(DeviceUse), required=True)
    interactions = graphene.Field(
        InteractionConnection,
        first=graphene.Int(default_value=INTERACTIONS_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Newest first.",
    )
    profile = graphene.Field(
        Profile, description="The profile this record resolves to; null before resolution."
    )
    profile_confidence = graphene.Float(
        description="How firmly the record belongs to its profile: its best edge inside it "
        "(1 for a record alone or placed by a steward)."
    )
    matches = profiles.matches_field()

    @staticmethod
    async def resolve_profile(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> ProfileRecord | None:
        return await profiles.customer_profile(parent.id, info)

    @staticmethod
    async def resolve_profile_confidence(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> float | None:
        return await profiles.customer_profile_confidence(parent.id, info)

    @staticmethod
    async def resolve_matches(
        parent: CustomerRecord,
        info: graphene.ResolveInfo,
        min_probability: float | None = 0.0,
        first: int | None = profiles.MATCHES_PAGE,
        after: str | None = None,
    ) -> MatchConnection:
        return await profiles.customer_matches(parent.id, info, min_probability, first, after)

    @staticmethod
    def resolve_declared_identifiers(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> list[records.DeclaredIdentifierRecord]:
        return list(parent.identifiers)

    @staticmethod
    def resolve_attributes(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> list[records.AttributeRecord]:
        return list(parent.attributes)  # a list: none read is no read of personal data

    @staticmethod
    async def resolve_accounts(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> list[records.AccountHolding]:
        return await request_context(info).loaders.accounts.load(parent.id)

    @staticmethod
    async def resolve_devices(
        parent: CustomerRecord, info: graphene.ResolveInfo
    ) -> list[records.DeviceUse]:
        return await request_context(info).loaders.devices.load(parent.id)

    @staticmethod
    async def resolve_interactions(
        parent: CustomerRecord,
        info: graphene.ResolveInfo,
        first: int | None = INTERACTIONS_PAGE,
        after: str | None = None,
    ) -> InteractionConnection:
        size = page_size(first, INTERACTIONS_PAGE)
        key = decode_cursor(after, _INTERACTION_CURSOR, (int, str)) if after else None
        after_key = (int(key[0]), str(key[1])) if key else None
        page = await request_context(info).loaders.interactions.load((parent.id, size, after_key))
        cursors = [encode_cursor(_INTERACTION_CURSOR, i.ts, i.id) for i in page.items]
        return connection(InteractionConnection, page.items, cursors, after, page.has_next)


class CustomerConnection(relay.Connection):
    class Meta:
        node = Customer
        strict_types = True


class Query(
    HouseholdQuery, MetricsQuery, AlertQuery, PrivacyQuery, AuditQuery, graphene.ObjectType
):
    customer = graphene.Field(
        Customer,
        id=graphene.ID(required=True),
        description="The customer with this customerId, or null.",
    )
    customers_by_identifier = graphene.Field(
        CustomerConnection,
        email=graphene.String(),
        phone=graphene.String(
            description="Any common format; national numbers use the service's default country."
        ),
        device_id=graphene.String(),
        identifier=graphene.Argument(
            IdentifierValueInput,
            description="A declared identifier (a national ID, a loyalty number) as any "
            "source writes it.",
        ),
        first=graphene.Int(default_value=CUSTOMERS_PAGE, description="At most 100."),
        after=graphene.String(description="endCursor of the previous page."),
        description="Customers linked to exactly one of email, phone, deviceId or identifier.",
    )
    profile = profiles.profile_field()
    review_queue = profiles.review_queue_field()
    search_profiles = search.search_field()

    @staticmethod
    async def resolve_search_profiles(
        root: object,
        info: graphene.ResolveInfo,
        text: str,
        first: int | None = search.SEARCH_PAGE,
        after: str | None = None,
    ) -> search.ProfileHitConnection:
        return await search.search(info, text, first, after)

    @staticmethod
    async def resolve_profile(
        root: object, info: graphene.ResolveInfo, id: str, min_confidence: float | None = None
    ) -> ProfileRecord | None:
        return await profiles.profile_by_id(info, id, min_confidence)

    @staticmethod
    async def resolve_review_queue(
        root: object,
        info: graphene.ResolveInfo,
        first: int | None = profiles.REVIEW_PAGE,
        after: str | None = None,
        **filters: Any,
    ) -> profiles.ReviewConnection:
        return await profiles.review_queue(info, first=first, after=after, **filters)

    @staticmethod
    async def resolve_customer(
        root: object, info: graphene.ResolveInfo, id: str
    ) -> CustomerRecord | None:
        ctx = request_context(info)
        node = info.field_nodes[0]
        profile = _selected(node, "profile")
        if profile is None and _selected(node, "profileConfidence") is None:
            return await ctx.loaders.customers.load(id)
        if profile is not None and _selected(profile, "household") is not None:
            # The customer 360: the customer, its identifiers, its profile, the household
            # and its members in one read; the resolvers find each part in their loaders.
            whole = await run_in_threadpool(reads.customer_360, ctx.store, id)
            if whole is None:
                return None
            loaders = ctx.loaders
            loaders.customers.prime(id, whole.customer)
            loaders.customer_profiles.prime(id, whole.profile)
            loaders.identifiers.prime(id, whole.identifiers)
            if whole.profile is not None:
                loaders.profile_households.prime(whole.profile.profile.id, whole.household)
            if whole.household is not None:
                loaders.household_members.prime(whole.household.id, whole.members)
            return whole.customer
        # The customer and its profile in one read, so that the profile's own reads start
        # with the customer's identifiers and interactions.
        found = await run_in_threadpool(reads.customer_with_profile, ctx.store, id)
        if found is None:
            return None
        customer, customer_profile = found
        ctx.loaders.customers.prime(id, customer)
        ctx.loaders.customer_profiles.prime(id, customer_profile)
        return customer

    @staticmethod
    async def resolve_customers_by_identifier(
        root: object,
        info: graphene.ResolveInfo,
        email: str | None = None,
        phone: str | None = None,
        device_id: str | None = None,
        identifier: dict[str, Any] | None = None,
        first: int | None = CUSTOMERS_PAGE,
        after: str | None = None,
    ) -> CustomerConnection:
        ctx = request_context(info)
        args = {"email": email, "phone": phone, "deviceId": device_id, "identifier": identifier}
        given = [name for name, value in args.items() if value is not None]
        if len(given) != 1:
            raise BadUserInput(
                "give exactly one of email, phone, deviceId or identifier "
                f"(got {', '.join(given) if given else 'none'})"
            )
        size = page_size(first, CUSTOMERS_PAGE)
        after_id = decode_cursor(after, _CUSTOMER_CURSOR, (str,))[0] if after else None
        kind: reads.IdentifierKind
        if email is not None:
            kind, value = "email", normalise_email(email)
        elif phone is not None:
            kind, value = "phone", normalise_phone(phone, ctx.settings.default_country)
        elif device_id is not None:
            kind, value = "deviceId", normalise_device(device_id)
        else:  # the declared types are in the graph
            kind = "identifier"
            value = await run_in_threadpool(declared_identifier_key, ctx.store, identifier or {})
        page = await run_in_threadpool(
            reads.customers_by_identifier, ctx.store, kind, value, size, after_id
        )
        for customer in page.items:
            ctx.loaders.customers.prime(customer.id, customer)
        cursors = [encode_cursor(_CUSTOMER_CURSOR, c.id) for c in page.items]
        return connection(CustomerConnection, page.items, cursors, after, page.has_next)


class Mutation(StewardMutation, RealtimeMutation, MetricsMutation, AlertMutation, PrivacyMutation):
    """Every mutation: steward changes, real-time records, metrics, alerts, consent and
    erasure (one root, fields from each part)."""


schema = graphene.Schema(query=Query, mutation=Mutation, auto_camelcase=True)
