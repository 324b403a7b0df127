"""Access in GraphQL: the document check before execution (every field the document reaches
against the signed-in identity's capabilities, app/access/policy.py), and the middleware
that applies consent and masks to personal data wherever a query reaches it, and notes every
unmasked read for the audit trail (one AuditEvent per request, written before the answer)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from aiodataloader import DataLoader
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from graphql.execution.collect_fields import collect_fields
from starlette.concurrency import run_in_threadpool

from app.access import policy
from app.access.masking import mask
from app.access.roles import Identity
from app.audit import READ_PII
from app.audit import record as audit
from app.households.marketing import Contact as ContactRecord
from app.households.marketing import HouseholdHit
from app.privacy.consent import NO_CONSENT, Consent, consent_of_customers, consent_of_profiles
from app.store import GraphStore


class _Guard(Visitor):
    def __init__(self, type_info: TypeInfo, identity: Identity) -> None:
        super().__init__()
        self.type_info = type_info
        self.identity = identity
        self.refused: dict[str, str] = {}  # what -> why

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        parent = self.type_info.get_parent_type()
        name = node.name.value
        if parent is None or name.startswith("__"):
            return
        field_type = self.type_info.get_type()
        ident = self.identity
        if parent.name == "Mutation":
            need = policy.MUTATION_CAPABILITY.get(name)
            if need is None or not policy.allowed(ident, need):
                self.refused[f"mutation {name}"] = " or ".join(sorted(need or {"(none)"}))
        elif parent.name == "Query" and name in policy.QUERY_CAPABILITY:
            need = policy.QUERY_CAPABILITY[name]
            if not policy.allowed(ident, need):
                self.refused[f"Query.{name}"] = " or ".join(sorted(need))
        if field_type is None:
            return
        named = get_named_type(field_type)
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__"):
            cap = policy.type_capability(named.name)
            if cap is None and named.name not in policy.OPEN_TYPES:
                self.refused[named.name] = "(a type no role may read)"
            elif cap is not None and not ident.can(cap):
                self.refused[named.name] = cap


def refused_fields(schema: GraphQLSchema, document: DocumentNode, identity: Identity) -> list[str]:
    """What in the document the identity may not reach, with the capability it lacks."""
    type_info = TypeInfo(schema)
    guard = _Guard(type_info, identity)
    visit(document, TypeInfoVisitor(type_info, guard))
    return [f"{what} (needs {why})" for what, why in sorted(guard.refused.items())]


# -- consent, masks and the audit, field by field -------------------------------------------

Subject = tuple[str, str]  # ("profile" | "customer", id)


@dataclass
class RequestAccess:
    """The request's identity, its consent lookups and the unmasked reads it made."""

    identity: Identity
    store: GraphStore
    reads: defaultdict[Subject, set[str]] = field(default_factory=lambda: defaultdict(set))
    root_names: dict[str, str] = field(default_factory=dict)
    _profiles: DataLoader[str, Consent] | None = None
    _customers: DataLoader[str, Consent] | None = None
    _customer_profile: Callable[[str], Awaitable[str | None]] | None = None

    def bind(self, customer_profile: Callable[[str], Awaitable[str | None]]) -> None:
        """How to find a record's profile (the request's loader), so a record's consent is
        its person's."""
        self._customer_profile = customer_profile

    def _loader(self, read: Callable[[GraphStore, Sequence[str]], dict[str, Consent]]) -> Any:
        store = self.store

        async def batch(ids: list[str]) -> list[Consent]:
            found = await run_in_threadpool(read, store, ids)
            return [found.get(i, NO_CONSENT) for i in ids]

        return DataLoader(batch, max_batch_size=1000)

    async def consent(self, subject: Subject) -> Consent:
        kind, key = subject
        if kind == "customer" and self._customer_profile is not None:
            profile_id = await self._customer_profile(key)
            if profile_id is not None:
                kind, key = "profile", profile_id
        if kind == "profile":
            if self._profiles is None:
                self._profiles = self._loader(consent_of_profiles)
            return await self._profiles.load(key)
        if self._customers is None:
            self._customers = self._loader(consent_of_customers)
        return await self._customers.load(key)

    def note(self, subject: Subject | None, kind: str) -> None:
        if subject is not None and self.identity.pii:
            self.reads[subject].add(kind)

    def flush(self, store: GraphStore) -> None:
        """The request's unmasked reads as one AuditEvent (who, whose, which fields)."""
        if not self.reads:
            return
        customers = sorted(k for kind, k in self.reads if kind == "customer")
        profiles = sorted(k for kind, k in self.reads if kind == "profile")
        fields = sorted({f for kinds in self.reads.values() for f in kinds})
        after = {"fields": fields, "customers": customers, "profiles": profiles}
        audit(store, self.identity.actor, READ_PII, "", None, after, customers, profiles)
        self.reads.clear()


def root_names(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
) -> dict[str, str]:
    """Response key -> root field name, through aliases and fragments (graphql-core's own
    field collection): a marketing query stays one under any alias."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.query_type if operation.operation.value == "query" else schema.mutation_type
    if root is None:
        return {}
    fields = collect_fields(schema, fragments, variables, root, operation.selection_set)
    return {key: nodes[0].name.value for key, nodes in fields.items()}


def _root_field(info: GraphQLResolveInfo) -> str:
    path = info.path
    while path.prev is not None:
        path = path.prev
    names: dict[str, str] = info.context.access.root_names
    return names.get(str(path.key), str(path.key))


def marketing_use(info: GraphQLResolveInfo) -> bool:
    """Whether this field's read is a marketing use: the identity's, or the root field's."""
    access: RequestAccess = info.context.access
    return access.identity.marketing or _root_field(info) in policy.MARKETING_FIELDS


def _subject(parent: Any) -> Subject | None:
    """The person a field's parent object is about."""
    from app.api.records import CustomerRecord, ProfileRecord

    if isinstance(parent, CustomerRecord):
        return ("customer", parent.id)
    if isinstance(parent, ProfileRecord):
        return ("profile", parent.id)
    if isinstance(parent, ContactRecord):
        return ("profile", parent.profile_id)
    if isinstance(parent, dict) and parent.get("profile_id"):
        return ("profile", str(parent["profile_id"]))  # a Membership
    if isinstance(parent, HouseholdHit) and parent.decision_maker_id:
        return ("profile", parent.decision_maker_id)
    return None


def _is_list(info: GraphQLResolveInfo) -> bool:
    t = info.return_type
    if isinstance(t, GraphQLNonNull):
        t = t.of_type
    return isinstance(t, GraphQLList)


class AccessMiddleware:
    """graphql-core middleware: runs around every field, acts on the few in policy's tables
    and leaves the rest to their resolvers untouched."""

    def resolve(self, next_: Any, root: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        key = (info.parent_type.name, info.field_name)
        kind = policy.PII_FIELDS.get(key)
        channels = policy.CHANNEL_FIELDS.get(key)
        audited = policy.AUDITED_FIELDS.get(key)
        if kind is None and channels is None and audited is None:
            return next_(root, info, **args)
        access: RequestAccess = info.context.access
        result = next_(root, info, **args)
        marketing = marketing_use(info)
        evidence = key == ("Membership", "evidence")
        if isawaitable(result) or (marketing and (channels or evidence)):
            return self._later(result, root, info, access, kind, channels, audited, marketing)
        return self._finish(result, root, access, kind, audited)

    async def _later(
        self,
        result: Any,
        root: Any,
        info: GraphQLResolveInfo,
        access: RequestAccess,
        kind: str | None,
        channels: tuple[str, ...] | None,
        audited: str | None,
        marketing: bool,
    ) -> Any:
        value = await result if isawaitable(result) else result
        if marketing and value is not None:
            subject = _subject(root)
            consent = (
                root.dm_consent
                if isinstance(root, HouseholdHit)
                else (await access.consent(subject) if subject is not None else NO_CONSENT)
            )
            if channels is not None and not consent.allows("marketing", channels):
                return [] if _is_list(info) else None
            if info.parent_type.name == "Membership" and info.field_name == "evidence":
                value = [
                    v
                    for v in value
                    if consent.allows(
                        "marketing", policy.EVIDENCE_CHANNELS.get(v.partition(":")[0], ("*",))
                    )
                    or v.partition(":")[0] not in policy.EVIDENCE_CHANNELS
                ]
        return self._finish(value, root, access, kind, audited)

    @staticmethod
    def _finish(
        value: Any, root: Any, access: RequestAccess, kind: str | None, audited: str | None
    ) -> Any:
        if value is None or value == []:
            return value
        if not access.identity.pii:
            return mask(kind, value) if kind is not None else value
        if audited is not None:
            access.note(_subject(root), audited)
        return value


def errors_for_refusal(problems: list[str]) -> list[GraphQLError]:
    return [GraphQLError(f"not allowed for your roles: {p}") for p in problems]
