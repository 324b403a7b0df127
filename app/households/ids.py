"""Stable household IDs by the profiles' ID rule (app.resolution.profiles.assign_ids): a
household keeps its ID while its old members stay together, whoever joins; a person moving
out leaves the ID with the larger part that stays."""

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
    return assign_ids(groups, previous, prefix="HH-")
