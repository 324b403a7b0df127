"""Stable household IDs: the profiles' overlap rule (app.resolution.profiles.assign_ids),
with one difference: a group also keeps an old ID when it holds at least half of the old
household, so a person moving out leaves the ID with those who stay."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.resolution.profiles import Assignment, assign_ids, stable_id

HouseholdIds = Assignment


def new_household_id(members: Sequence[str]) -> str:
    return stable_id("HH-", members)


def assign_household_ids(
    groups: Sequence[Sequence[str]], previous: Mapping[str, str]
) -> HouseholdIds:
    """groups: profile ids per new household; previous: profile id -> current household id."""
    return assign_ids(groups, previous, prefix="HH-", keep_with_half_of_old=True)
