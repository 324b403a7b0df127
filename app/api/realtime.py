"""Real-time resolution over GraphQL: `upsertCustomerRecord` loads one source record and
joins, bridges or founds its profile at once (app.resolution.realtime does the work).

The saved match model is read once and kept until its file changes, so a retrained model
is picked up without a restart."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import graphene

from app.api.errors import FailedPrecondition
from app.api.loaders import request_context
from app.api.metrics import profiles_changed_flow
from app.api.profiles import Profile
from app.api.records import CustomerRecord, ProfileRecord
from app.api.stewards import _CUSTOMER, _change
from app.errors import ConfigError
from app.ingestion.fields import CUSTOMER_FIELDS
from app.resolution.model import MatchModel
from app.resolution.realtime import RealtimeResult, upsert_record

log = logging.getLogger(__name__)
_models: dict[Path, tuple[float, MatchModel]] = {}
_models_lock = threading.Lock()


def current_model(path: Path) -> MatchModel:
    """The model saved at path, re-read when the file changes. FailedPrecondition when there
    is none yet or it does not fit (the details, with server paths, go to the log)."""
    try:
        stamp = path.stat().st_mtime
    except FileNotFoundError:
        stamp = -1.0
    with _models_lock:
        cached = _models.get(path)
        if cached is None or cached[0] != stamp:
            try:
                _models[path] = (stamp, MatchModel.load(path))
            except ConfigError as exc:
                log.error("real-time resolution has no usable match model: %s", exc)
                raise FailedPrecondition(
                    "no usable match model: train one with `idgraph train` (the service "
                    "log says what is wrong with the current one)"
                ) from exc
        return _models[path][1]


CustomerRecordInput = type(
    "CustomerRecordInput",
    (graphene.InputObjectType,),
    {
        "__doc__": "One record as the source system has it, in the canonical customer fields "
        "(the same ones a mapping file maps columns onto). Values are normalised as in "
        "batch ingestion; sourceKey is required.",
        **{
            name: graphene.String(required=name == "sourceKey", name=name)
            for name in CUSTOMER_FIELDS
        },
    },
)


class RealtimeAction(graphene.Enum):
    FOUNDED = "founded"
    JOINED = "joined"
    BRIDGED = "bridged"
    KEPT = "kept"

    @property
    def description(self) -> str:
        return {
            "founded": "No existing record matched: the record has a profile of its own.",
            "joined": "It matched records of one profile and joined it.",
            "bridged": "It matched records of several profiles; they are merged into the "
            "largest, the others point at it.",
            "kept": "A known record, still in its profile.",
        }[str(self.value)]


class RecordMatch(graphene.ObjectType):
    customer_id = graphene.ID(required=True)
    probability = graphene.Float(required=True)


class UpsertCustomerRecordPayload(graphene.ObjectType):
    customer = graphene.Field(_CUSTOMER)
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
    fields = {k: v for k, v in dict(record).items() if v is not None}

    def work(_who: str) -> tuple[RealtimeResult, int]:
        store, settings = ctx.store, ctx.settings
        result = upsert_record(store, settings, model=current_model(settings.model_file),
                               source=source, record=fields)  # fmt: skip
        # The rest of the real-time flow: Customer DNA, households, alerts.
        return result, profiles_changed_flow(store, settings, [result.profile_id], result.retired)

    # Reads then writes, like a steward change: take turns under the app's write lock.
    result, alerts = await _change(info, work, needs_actor=False)
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
        milliseconds=result.milliseconds,
        alerts_raised=alerts,
    )


class RealtimeMutation(graphene.ObjectType):
    upsert_customer_record = upsert_field()

    @staticmethod
    async def resolve_upsert_customer_record(
        root: object, info: graphene.ResolveInfo, source: str, record: dict[str, Any]
    ) -> UpsertCustomerRecordPayload:
        return await upsert_customer_record(info, source, record)
