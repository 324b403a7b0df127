"""Real-time resolution over GraphQL: `upsertCustomerRecord` loads one source record and
places it at once (app.flows.upsert does the work: placement, metrics, households, alerts);
`updateAccount` sets an account's attributes (app.accounts.update_account: then the Group
DNA that reads them, and alerts)."""

from __future__ import annotations

from typing import Any

import graphene
from graphene.types.generic import GenericScalar

from app import accounts, flows
from app.api.loaders import request_context
from app.api.metrics import MetricChangeType
from app.api.profiles import CUSTOMER_TYPE, Profile
from app.api.realtime_model import current_model
from app.api.records import CustomerRecord, ProfileRecord
from app.api.stewards import change
from app.errors import InputError
from app.ingestion.fields import CUSTOMER_FIELDS
from app.ingestion.mapping import IDENTIFIER_TYPE
from app.ingestion.rows import attr_property
from app.resolution.realtime import RealtimeResult
from app.values import check_key, source_name


class IdentifierValueInput(graphene.InputObjectType):
    class Meta:
        description = "A declared identifier's value (a national ID, a loyalty number)."

    type = graphene.String(
        required=True, description="A type a mapping declared (`identifiers:`), e.g. nationalId."
    )
    value = graphene.String(description="null (or empty) clears it.")


class AttributeValueInput(graphene.InputObjectType):
    class Meta:
        description = "An attribute's value (an occupation, a place of birth)."

    name = graphene.String(
        required=True,
        description="A letter, then up to 39 letters, digits or _; compared in resolution "
        "if a mapping lists it under `compareAttributes`, else only kept.",
    )
    value = graphene.String(description="null (or empty) clears it.")


CustomerRecordInput = type(
    "CustomerRecordInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "One record as the source system has it, in the canonical customer fields "
        "(the same ones a mapping file maps columns onto), its declared identifiers and its "
        "attributes. Values are normalised as in batch ingestion; sourceKey is required. A "
        "known record changes only in what is given: null (or an empty value) clears a "
        "field, an identifier or an attribute, and one left out keeps its value.",
        **{
            name: graphene.String(required=name == "sourceKey", name=name)
            for name in CUSTOMER_FIELDS
        },
        "identifiers": graphene.List(graphene.NonNull(IdentifierValueInput)),
        "attributes": graphene.List(graphene.NonNull(AttributeValueInput)),
    },
)


def record_fields(record: dict[str, Any]) -> dict[str, Any]:
    """The flat record the flow takes (app.flows.upsert): canonical fields as given, each
    identifier under its type, each attribute under its property (`attr_<name>`). A type or
    name given twice is refused, as is a type no mapping could declare (a canonical field,
    or `attr_x`, which would pass for an attribute)."""
    fields = {k: v for k, v in record.items() if k not in ("identifiers", "attributes")}
    types = [i["type"] for i in record.get("identifiers") or []]
    names = [a["name"] for a in record.get("attributes") or []]
    for what, given in (("identifier type", types), ("attribute", names)):
        twice = sorted({n for n in given if given.count(n) > 1})
        if twice:
            raise InputError(f"{what}(s) {twice} given more than once")
    not_types = sorted({t for t in types if t in CUSTOMER_FIELDS or not IDENTIFIER_TYPE.match(t)})
    if not_types:
        raise InputError(
            f"{not_types}: not identifier types (a type is a letter, then up to 39 letters or "
            "digits, and not a customer field: give those as fields)"
        )
    for item in record.get("identifiers") or []:
        fields[item["type"]] = item.get("value")
    for item in record.get("attributes") or []:
        fields[attr_property(item["name"])] = item.get("value")
    return fields


class RealtimeAction(graphene.Enum):
    FOUNDED = "founded"
    JOINED = "joined"
    BRIDGED = "bridged"
    KEPT = "kept"
    MOVED = "moved"

    @property
    def description(self) -> str:
        return {
            "founded": "No existing record matched: the record has a profile of its own.",
            "joined": "It matched records of one profile and joined it.",
            "bridged": "It brought records of several profiles together; by the ID rule one "
            "keeps its id, the others point at it.",
            "kept": "A known record, still in its profile.",
            "moved": "A known record that changed enough to belong to another profile.",
        }[str(self.value)]


class RecordMatch(graphene.ObjectType):
    customer_id = graphene.ID(required=True)
    probability = graphene.Float(required=True)


class BlankedValue(graphene.ObjectType):
    class Meta:
        description = "A value the record carried that was not valid, left out of it."

    field = graphene.String(required=True)
    value = graphene.String()
    reason = graphene.String(required=True)


class UpsertCustomerRecordPayload(graphene.ObjectType):
    customer = graphene.Field(CUSTOMER_TYPE)
    profile = graphene.Field(Profile, required=True)
    action = graphene.Field(RealtimeAction, required=True)
    matches = graphene.List(
        graphene.NonNull(RecordMatch),
        required=True,
        description="Existing records it matched at or above the operational threshold.",
    )
    retired_profile_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Profiles merged away by a bridge; asking for one answers with the survivor.",
    )
    blanked = graphene.List(
        graphene.NonNull(BlankedValue),
        required=True,
        description="Invalid values left out; the rest of the record loaded.",
    )
    capped_keys = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Blocking keys the record shares with more records than the block cap: "
        "no evidence, not looked at (as in batch).",
    )
    component_capped = graphene.Boolean(
        required=True,
        description="The record's component is bigger than the component cap: it was placed "
        "within the part read, nearest the record, where batch clusters the component whole, "
        "so the next `idgraph resolve` may move records of it.",
    )
    milliseconds = graphene.Float(required=True, description="Time spent resolving it.")
    alerts_raised = graphene.Int(
        required=True,
        description="Alerts raised by the metric changes that followed (profile and household).",
    )


def upsert_field() -> graphene.Field:
    return graphene.Field(
        UpsertCustomerRecordPayload,
        source=graphene.String(required=True, description="Source system, e.g. crm."),
        record=graphene.Argument(CustomerRecordInput, required=True),
        description="Load one record (new or changed) and resolve it in real time against "
        "the records already in the graph, without a batch run. The next `idgraph resolve` "
        "remains the reference and may refine the placement.",
    )


async def upsert_customer_record(
    info: graphene.ResolveInfo, source: str, record: dict[str, Any]
) -> UpsertCustomerRecordPayload:
    ctx = request_context(info)
    # Only the fields given: an explicit null clears one, a field left out keeps its value.
    fields = record_fields(record)
    # The keys first, whatever the model's state: bad input is named as such (app/values.py).
    source = source_name(source)
    check_key("sourceKey", fields.get("sourceKey") or "", ctx.settings.max_field_length)

    def work(who: str) -> tuple[RealtimeResult, int]:
        store, settings = ctx.store, ctx.settings
        model = current_model(settings.model_file)
        done = flows.upsert(store, settings, model, source, fields, who)
        return done.result, done.alerts

    # Reads then writes, like a steward change: take turns under the app's write lock.
    result, alerts = await change(info, work)
    customer: CustomerRecord | None = await ctx.loaders.customers.load(result.customer_id)
    profile: ProfileRecord | None = await ctx.loaders.profiles.load(result.profile_id)
    if profile is None:
        raise RuntimeError(f"profile {result.profile_id} is missing after an upsert")
    return UpsertCustomerRecordPayload(
        customer=customer,
        profile=profile,
        action=result.action,
        matches=[RecordMatch(customer_id=c, probability=p) for c, p in result.matches],
        retired_profile_ids=result.retired,
        blanked=[
            BlankedValue(field=b.get("field"), value=b.get("value"), reason=b.get("reason"))
            for b in result.blanked
        ],
        capped_keys=result.capped_keys,
        component_capped=result.component_capped,
        milliseconds=result.milliseconds,
        alerts_raised=alerts,
    )


class UpdateAccountPayload(graphene.ObjectType):
    account_id = graphene.ID(required=True)
    attributes = GenericScalar(
        required=True, description="The account's attributes after the update, by name."
    )
    household_ids = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Households of the account's holders, whose Group DNA was recomputed.",
    )
    changes = graphene.List(
        graphene.NonNull(MetricChangeType),
        required=True,
        description="Group DNA metrics that changed (data changes, as an interaction's are).",
    )
    alerts_raised = graphene.Int(required=True, description="Alerts the changes raised.")


def update_account_field() -> graphene.Field:
    return graphene.Field(
        UpdateAccountPayload,
        account_id=graphene.ID(required=True, description="An account the graph holds."),
        attributes=graphene.List(
            graphene.NonNull(AttributeValueInput),
            required=True,
            description="Attributes to set, e.g. {name: planMb, value: 5000} (numbers stay "
            "numbers); a null value removes one; those left out keep their values.",
        ),
        description="Set attributes of an account (a plan's data allowance, a product), as a "
        "mapping's accountAttributes set them in batch; the Group DNA of its holders' "
        "households (dataPlanMb, dataUsageVsPlan) is recomputed and its changes go to the "
        "alert rules.",
    )


async def update_account(
    info: graphene.ResolveInfo, account_id: str, attributes: list[dict[str, Any]]
) -> UpdateAccountPayload:
    values = [(a["name"], a.get("value")) for a in attributes]
    ctx = request_context(info)

    def work(who: str) -> accounts.AccountUpdate:
        return accounts.update_account(ctx.store, ctx.settings, account_id, values, who)

    done = await change(info, work)
    return UpdateAccountPayload(
        account_id=done.account_id,
        attributes=done.attributes,
        household_ids=done.households,
        changes=[MetricChangeType.of(c) for c in done.changes],
        alerts_raised=done.alerts,
    )


class RealtimeMutation(graphene.ObjectType):
    upsert_customer_record = upsert_field()
    update_account = update_account_field()

    @staticmethod
    async def resolve_update_account(
        root: object, info: graphene.ResolveInfo, account_id: str, attributes: list[Any]
    ) -> UpdateAccountPayload:
        return await update_account(info, account_id, attributes)

    @staticmethod
    async def resolve_upsert_customer_record(
        root: object, info: graphene.ResolveInfo, source: str, record: dict[str, Any]
    ) -> UpsertCustomerRecordPayload:
        return await upsert_customer_record(info, source, record)
