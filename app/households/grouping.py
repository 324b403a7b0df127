"""Grouping profiles into households and choosing each household's decision-maker.
Pure functions over plain data (the store is read and written by resolve.py)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

import networkx as nx

from app.households.rules import Rules
from app.ingestion.names import fold

_NOT_LETTER = re.compile(r"[^a-z]")


@dataclass
class ProfileFacts:
    """What household resolution knows of one profile."""

    profile_id: str
    last_name: str | None = None
    date_of_birth: str | None = None  # YYYY-MM-DD
    address_id: str | None = None  # the golden (current) address
    city: str | None = None  # the golden address's city
    accounts: list[tuple[str, str | None]] = field(default_factory=list)  # (accountId, role)
    devices: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    postcodes: list[str] = field(default_factory=list)  # of all its records
    spend: float = 0.0
    records: int = 1

    def values(self, kind: str) -> set[str]:
        if kind == "address":
            return address_keys(self.address_id, self.city)
        if kind == "postcode":
            return set(self.postcodes)
        if kind == "account":
            return {a for a, _ in self.accounts}
        if kind == "device":
            return set(self.devices)
        if kind == "phone":
            return set(self.phones)
        return set(self.emails)


@dataclass
class Member:
    profile_id: str
    evidence: list[str]  # "kind:value" of every identifier shared with another member
    confidence: float
    role: str = "member"
    reason: str = ""


@dataclass
class Group:
    members: list[Member]
    address_id: str | None
    kinds: list[str]  # evidence kinds that hold the group together


@dataclass
class Grouping:
    groups: list[Group]
    hubs: Counter[str] = field(default_factory=Counter)  # kind -> identifiers ignored as hubs


def address_keys(address_id: str | None, city: str | None) -> set[str]:
    """The address key, and street-in-city: one record with a postcode and one without
    give different keys (COUNTRY|POSTCODE|street, COUNTRY|city|street) for one home."""
    if not address_id:
        return set()
    keys = {address_id}
    parts = address_id.split("|", 2)
    if len(parts) == 3 and city:
        keys.add(f"{parts[0]}|{surname_key(city)}|{parts[2]}")
    return keys


def surname_key(name: str | None) -> str:
    """Letters only, without accents (`fold`: "Núñez" is "nunez", as matching reads it)."""
    return _NOT_LETTER.sub("", fold(name or ""))


class SurnameAgreement:
    """Whether two normalised surnames (surname_key) agree: equal, or difflib's ratio of the
    two at or above the threshold. A grouping asks about the same few names again and
    again (a street's families), so each ordered pair's ratio is worked out once."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self._known: dict[tuple[str, str], bool] = {}

    def __call__(self, x: str, y: str) -> bool:
        if not x or not y:
            return False
        if x == y:
            return True
        got = self._known.get((x, y))
        if got is None:  # ratio is not symmetric: (x, y) and (y, x) are asked apart
            got = self._known[(x, y)] = SequenceMatcher(None, x, y).ratio() >= self.threshold
        return got


def group_profiles(facts: Sequence[ProfileFacts], rules: Rules, today: date) -> Grouping:
    """Every profile in exactly one household (a household of one when nothing links it)."""
    index: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in rules.enabled_kinds()}
    for i, f in enumerate(facts):
        for kind, by_value in index.items():
            for v in f.values(kind):
                by_value[v].append(i)
    surnames = [surname_key(f.last_name) for f in facts]  # each profile's, once for the run
    agree = SurnameAgreement(rules.surname_similarity)
    graph = nx.Graph()
    graph.add_nodes_from(range(len(facts)))
    hubs: Counter[str] = Counter()
    usable: dict[str, set[str]] = {}  # kind -> values that may link (not hubs)

    def link(i: int, j: int, kind: str) -> None:
        if graph.has_edge(i, j):
            graph.edges[i, j]["kinds"].add(kind)
        else:
            graph.add_edge(i, j, kinds={kind})

    for kind, by_value in index.items():
        ev = rules.evidence(kind)
        usable[kind] = set()
        for value, idx in by_value.items():
            if len(idx) < 2:
                continue
            if len(idx) <= ev.max_profiles and kind != "postcode":
                usable[kind].add(value)
                for j in idx[1:]:
                    link(idx[0], j, kind)
                continue
            if kind != "postcode":
                hubs[kind] += 1
            if kind not in ("address", "postcode") or len(idx) > ev.hub_limit:
                continue
            # A postcode (a street or part of one), or a crowded address (flats under one
            # key, a care home): only surnames that agree link, so the families stay apart.
            usable[kind].add(value)
            for a, i in enumerate(idx):
                for j in idx[a + 1 :]:
                    if agree(surnames[i], surnames[j]):
                        link(i, j, kind)

    components: list[set[int]] = []
    for comp in nx.connected_components(graph):
        components.extend(_fit(graph, set(comp), rules, list(rules.weakest_first)))
    # Each profile's values that may link, by kind in the rules' order (most profiles have
    # few or none: the rest of their values are theirs alone, or hubs).
    linking: defaultdict[int, dict[str, list[str]]] = defaultdict(dict)
    for kind, by_value in index.items():
        for value in usable[kind]:
            for i in by_value[value]:
                linking[i].setdefault(kind, []).append(value)
    rank = [0] * len(facts)  # each profile's place in profile id order
    for r, i in enumerate(sorted(range(len(facts)), key=lambda i: facts[i].profile_id)):
        rank[i] = r
    seen = Seen(facts, linking, surnames, agree)
    groups = [_group(sorted(c, key=rank.__getitem__), seen, rules, today) for c in components]
    groups.sort(key=lambda g: g.members[0].profile_id)
    return Grouping(groups, hubs)


@dataclass
class Seen:
    """What group_profiles worked out once for the run, by profile position: the facts, each
    profile's values that may link by kind, its surname key; the surname agreement with its
    memory."""

    facts: Sequence[ProfileFacts]
    linking: Mapping[int, dict[str, list[str]]]  # profiles with none are left out
    surnames: list[str]
    agree: SurnameAgreement


def _fit(graph: nx.Graph, comp: set[int], rules: Rules, weakest: list[str]) -> list[set[int]]:
    """Split a component larger than the cap by dropping its weakest evidence kind, then the
    next, until every part fits (or nothing is left to drop)."""
    if len(comp) <= rules.max_household_size or not weakest:
        return [comp]
    kind, rest = weakest[0], weakest[1:]
    sub = nx.Graph()
    sub.add_nodes_from(comp)
    for i, j, data in graph.subgraph(comp).edges(data=True):
        kinds = data["kinds"] - {kind}
        if kinds:
            sub.add_edge(i, j, kinds=kinds)
    out: list[set[int]] = []
    for part in nx.connected_components(sub):
        out.extend(_fit(sub, set(part), rules, rest))
    return out


def _group(members: list[int], seen: Seen, rules: Rules, today: date) -> Group:
    facts, linking = seen.facts, seen.linking
    # How many members hold each value that may link.
    counts = Counter(
        (kind, v) for i in members for kind, vs in linking.get(i, {}).items() for v in vs
    )
    out: list[Member] = []
    kinds: set[str] = set()
    for i in members:
        f = facts[i]
        evidence: list[str] = []
        confidence = 0.0
        for kind, values in linking.get(i, {}).items():
            shared = sorted(v for v in values if counts[(kind, v)] >= 2)
            if not shared:
                continue
            kinds.add(kind)
            evidence.extend(f"{kind}:{v}" for v in shared)
            conf = rules.evidence(kind).confidence
            if kind == "address" and any(
                facts[j].address_id == f.address_id
                and seen.agree(seen.surnames[i], seen.surnames[j])
                for j in members
                if j != i
            ):
                evidence.append(f"surname:{seen.surnames[i]}")
                conf = min(1.0, conf + rules.surname_bonus)
            confidence = max(confidence, conf)
        out.append(Member(f.profile_id, evidence, round(confidence if evidence else 1.0, 3)))
    addresses = Counter(facts[i].address_id for i in members if facts[i].address_id)
    address = min(addresses.items(), key=lambda kv: (-kv[1], kv[0]))[0] if addresses else None
    group = Group(out, address, sorted(kinds))
    _roles(group, [facts[i] for i in members], rules, today)
    return group


def age_on(dob: str | None, today: date) -> int | None:
    if not dob or len(dob) < 10:
        return None
    try:
        born = date.fromisoformat(dob[:10])
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _roles(group: Group, facts: list[ProfileFacts], rules: Rules, today: date) -> None:
    """Mark one member decision_maker, by the first rule that singles one out."""
    if len(facts) == 1:
        group.members[0].role, group.members[0].reason = "decision_maker", "only member"
        return
    held = Counter(a for f in facts for a in {acc for acc, _ in f.accounts})
    shared_accounts = {a for a, n in held.items() if n >= 2}
    candidates = list(range(len(facts)))
    reason = ""
    for rule in rules.decision_maker:
        picked, why = _apply(rule, candidates, facts, shared_accounts, rules, today)
        if picked:
            candidates, reason = picked, why
        if len(candidates) == 1:
            break
    if len(candidates) > 1:
        reason = (reason + "; " if reason else "") + "tie broken by profile id"
    chosen = candidates[0]  # facts are in profile id order
    for k, m in enumerate(group.members):
        if k == chosen:
            m.role, m.reason = "decision_maker", reason
        else:
            m.reason = "member"


def _apply(
    rule: str,
    candidates: list[int],
    facts: list[ProfileFacts],
    shared_accounts: set[str],
    rules: Rules,
    today: date,
) -> tuple[list[int], str]:
    if rule == "account_holder":
        best: dict[int, tuple[int, str, str]] = {}
        for k in candidates:
            for account, role in facts[k].accounts:
                if account in shared_accounts and role in rules.holder_roles:
                    rank = rules.holder_roles.index(role)
                    if k not in best or rank < best[k][0]:
                        best[k] = (rank, role, account)
        if not best:
            return [], ""
        top = min(r for r, _, _ in best.values())
        picked = [k for k in candidates if k in best and best[k][0] == top]
        _, role, account = best[picked[0]]
        return picked, f"{role} of shared account {account}"
    if rule == "eldest_adult":
        ages = {k: age_on(facts[k].date_of_birth, today) for k in candidates}
        adults = {k: a for k, a in ages.items() if a is not None and a >= rules.adult_age}
        if not adults:
            return [], ""
        top = max(adults.values())
        picked = [k for k in candidates if adults.get(k) == top]
        return picked, f"eldest adult (born {facts[picked[0]].date_of_birth})"
    if rule == "highest_spend":
        ages = {k: age_on(facts[k].date_of_birth, today) for k in candidates}
        pool = [k for k in candidates if (ages[k] or 0) >= rules.adult_age] or candidates
        top_spend = max(facts[k].spend for k in pool)
        if top_spend <= 0:
            return [], ""
        picked = [k for k in pool if facts[k].spend == top_spend]
        return picked, f"highest spend ({top_spend:.2f})"
    top_records = max(facts[k].records for k in candidates)
    picked = [k for k in candidates if facts[k].records == top_records]
    return picked, f"most source records ({top_records})"
