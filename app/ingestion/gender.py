"""Gender as sources write it (split from app/ingestion/normalize.py, whose trimming it
shares): the one-value rule both ingestion paths apply."""

from __future__ import annotations

from app.ingestion.normalize import clean1

# Gender as sources write it -> m, f or x. Words that state none ("Unknown", "U", "N/A")
# are no value; anything else is blanked as invalid. Before 2026-12-06 the first letter was
# kept, so "Unknown" became "u", which resolution compared as a gender different from "m":
# -10.7 log-odds against a match (docs/ingestion.md).
GENDERS: dict[str, str] = {
    **dict.fromkeys(("m", "male", "man"), "m"),
    **dict.fromkeys(("f", "female", "woman"), "f"),
    **dict.fromkeys(("x", "o", "other", "non-binary", "nonbinary", "diverse"), "x"),
}
UNSTATED_GENDERS = frozenset(
    {
        "u",
        "unknown",
        "not known",
        "n/a",
        "na",
        "n",
        "?",
        "-",
        "none",
        "not specified",
        "unspecified",
        "not stated",
        "undisclosed",
        "prefer not to say",
    }
)


def gender1(value: object) -> tuple[str | None, bool]:
    """(m, f or x; bad): a stated gender, or None when the value states none (bad: False)
    or is not one we know (bad: True)."""
    g = clean1(value)
    if g is None:
        return None, False
    key = " ".join(g.lower().replace("_", " ").split())
    if key in GENDERS:
        return GENDERS[key], False
    return None, key not in UNSTATED_GENDERS
