"""Person names written whole ("Mr John Smith Jr.", "Smith, John Paul") split into first,
middle and last name without the title before them or the suffix after: the value rule
(`split_full_name1`) and its column version. Split from app/ingestion/normalize.py, whose
helpers they share. And `fold`: a name or place as matching and households compare it,
without accents."""

from __future__ import annotations

import unicodedata

import pandas as pd

from app.ingestion.normalize import apply1, clean1, name1, unzip

# Words written before a name that are not part of it (lower case, without the dot).
NAME_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd", "fr"}
)
# Words written after a surname that are not part of it: generations and letters after a
# name. "Junior" and "Senior" are left out (in some countries part of the name), as are
# letters that are also surnames ("Ma").
NAME_SUFFIXES = frozenset(
    {
        *("jr", "jnr", "sr", "snr", "ii", "iii", "iv"),
        *("phd", "md", "dds", "esq", "obe", "mbe", "cbe", "kbe", "dbe", "qc", "kc"),
    }
)


def _word(text: str) -> str:
    return text.lower().strip(".,")


def _untitled(words: list[str]) -> list[str]:
    """`words` without the titles at their start (NAME_TITLES), one word at least left."""
    while len(words) > 1 and _word(words[0]) in NAME_TITLES:
        words = words[1:]
    return words


def _unsuffixed(words: list[str], keep: int) -> list[str]:
    """`words` without the suffixes at their end (NAME_SUFFIXES), `keep` words at least left."""
    while len(words) > keep and _word(words[-1]) in NAME_SUFFIXES:
        words = words[:-1]
    return words


def split_full_name1(value: object) -> tuple[str | None, str | None, str | None]:
    """'First Middle Last' or 'Last, First Middle' -> (first, middle, last), without a title
    before the name ("Mr", "Dr.") or a suffix after the surname ("Jr.", "III", "PhD"). A
    title and one word is a surname ("Mrs Smith")."""
    full = clean1(value)
    if full is None:
        return None, None, None
    head, comma, tail = full.partition(",")
    rest = tail.replace(",", " ").split()
    if comma and not rest:  # "Smith,"
        return None, None, name1(head)
    if comma and all(_word(w) in NAME_SUFFIXES for w in rest):  # "John Smith, Jr."
        full, comma = head.strip(), ""
    if comma:  # "Smith Jr, Mr John Paul"
        last = _unsuffixed(head.split(), keep=1)
        given = _unsuffixed(_untitled(rest), keep=1)
        if not last or not given:
            return None, None, None
        middle = " ".join(given[1:]) or None
        return name1(given[0]), name1(middle), name1(" ".join(last))
    words = full.split()
    untitled = _untitled(words)
    if len(untitled) < len(words):  # a title: "Mrs. Smith" and "Dr Smith Jr" are surnames
        words = _unsuffixed(untitled, keep=1)
        if len(words) == 1:
            return None, None, name1(words[0])
    words = _unsuffixed(words, keep=2)
    if len(words) == 1:
        return name1(words[0]), None, None
    return name1(words[0]), name1(" ".join(words[1:-1]) or None), name1(words[-1])


def split_full_name(full: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    first, middle, last = unzip(apply1(split_full_name1, full), 3, full.index)
    return first, middle, last


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str) -> str:
    """Lower case without accents: "José" and "Jose", "Müller" and "Muller", "Zürich" and
    "Zurich", "Straße" and "Strasse" compare alike, as one source keeps the marks and another
    drops them. Letters that are not a letter and a mark (ø, ł, æ) stay as they are."""
    if text.isascii():
        return text.lower()
    return _strip_marks(_strip_marks(text).casefold())
