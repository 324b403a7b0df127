"""One search box over resolved profiles: a name (typo-tolerant, nicknames), an e-mail, a
phone, an account, a device, an identifier or a record or profile id; ranked, then paged.

The API's `searchProfiles` and the search page call `search_profiles`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from app.errors import InputError
from app.ingestion import normalize as norm
from app.ingestion.identifiers import identifier_types
from app.ingestion.rows import identifier_id
from app.resolution.fields import first_name, nickname_set, sound
from app.store import GraphStore

MAX_TEXT = 200
# A name word must be at least this alike (Jaro-Winkler) to count as a typo of another.
TYPO_FLOOR = 0.84
# Hits below this score are left out.
MIN_SCORE = 0.8
EXACT, NICKNAME, SOUNDS_ALIKE = 1.0, 0.95, 0.9


@dataclass(frozen=True)
class Hit:
    profile_id: str
    score: float  # 1 for an identifier or an exact name; less for a nickname, sound or typo
    matched_on: str  # "name", "e-mail", "phone", "account", "device", "record id"...


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    total: int


@lru_cache(maxsize=65536)
def word_score(typed: str, name: str | None, first: bool) -> float:
    """How well one typed word (lower case) stands for one name: exact 1, nickname of a
    first name 0.95, same sound 0.9, a typo its Jaro-Winkler similarity (scaled below the
    sound's), else 0."""
    known = first_name(name)
    if not known:
        return 0.0
    if typed == known:
        return EXACT
    if first and nickname_set(typed) & nickname_set(known):
        return NICKNAME
    if sound(typed) == sound(known):
        return SOUNDS_ALIKE
    similarity = JaroWinkler.normalized_similarity(typed, known)
    return similarity * SOUNDS_ALIKE if similarity >= TYPO_FLOOR else 0.0


def name_score(words: list[str], first: str | None, last: str | None) -> float:
    """A name query against a profile's golden names. One word: the better of first or last
    name. More: the first word against the first name and the last word against the last
    name (or swapped, a little lower), both counting."""
    if not words:
        return 0.0
    if len(words) == 1:
        return max(word_score(words[0], first, True), word_score(words[0], last, False))
    head, tail = words[0], words[-1]
    straight = min(word_score(head, first, True), word_score(tail, last, False))
    swapped = min(word_score(tail, first, True), word_score(head, last, False)) * 0.98
    return max(straight, swapped)


def _words(text: str) -> list[str]:
    return [w for w in (first_name(part) for part in text.replace(",", " ").split()) if w]


def _initials(words: Iterable[str]) -> list[str]:
    """First letters a candidate's name may start with: each word's and its formal names'."""
    return sorted({n[0] for w in words for n in nickname_set(w)})


def _identifier_hits(store: GraphStore, text: str, default_country: str) -> dict[str, Hit]:
    email, _ = norm.email1(text) if "@" in text else (None, False)
    phone = None
    if sum(ch.isdigit() for ch in text) >= 8 and "@" not in text:
        phone, _ = norm.phone1(text, default_country)
    # A declared identifier as its type's key holds it ("160-69-0961" is 160690961), an
    # index lookup per declared type.
    value = norm.identifier1(text)
    ids = [identifier_id(t, value) for t in identifier_types(store)] if value else []
    rows = store.read(
        "search_identifiers",
        email=email,
        phone=phone,
        text=" ".join(text.split()),
        identifierIds=ids,
    )
    out: dict[str, Hit] = {}
    for row in rows:
        pid = str(row["profileId"])
        out.setdefault(pid, Hit(pid, EXACT, str(row["matchedOn"])))
    return out


def search_profiles(
    store: GraphStore, text: str, default_country: str, first: int, offset: int = 0
) -> SearchPage:
    """Profiles for what was typed, best first (identifier hits, then names by score, then
    by profile id): `first` of them after `offset`, with the total."""
    text = text.strip()
    if not text:
        return SearchPage([], 0)
    if len(text) > MAX_TEXT:
        raise InputError(f"search text is {len(text)} characters; at most {MAX_TEXT}")
    found = _identifier_hits(store, text, default_country)
    words = _words(text) if not any(ch.isdigit() or ch == "@" for ch in text) else []
    if words:
        # Names first (one score per distinct name, however many carry it), then the
        # profiles of the names that pass, through the index on lastName.
        scores: dict[tuple[str | None, str], float] = {}
        for row in store.read("search_names", initials=_initials(words)):
            given, family = row.get("firstName"), str(row["lastName"])
            score = name_score(words, given, family)
            if score >= MIN_SCORE:
                scores[(given, family)] = score
        names = [{"firstName": f, "lastName": n} for f, n in scores]
        for row in store.read("search_name_profiles", names=names) if names else []:
            pid = str(row["profileId"])
            if pid not in found:
                score = scores[(row.get("firstName"), str(row["lastName"]))]
                found[pid] = Hit(pid, round(score, 3), "name")
    ranked = sorted(found.values(), key=lambda h: (-h.score, h.profile_id))
    return SearchPage(ranked[offset : offset + first], len(ranked))
