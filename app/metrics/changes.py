"""What a metric computation hands on: one changed value of one metric on one entity.

Metrics (Customer DNA on Profile nodes, Group DNA on Household nodes) produce these;
alert rules consume them. Kept here, upstream of both, so arrows point one way:
metrics -> alerts, and whoever runs the pipeline (CLI, API) passes them along."""

from __future__ import annotations

from typing import NamedTuple

Value = float | int | str | bool | None


class MetricChange(NamedTuple):
    """Immutable; a named tuple because a first batch makes millions of them."""

    label: str  # "Profile" or "Household": the entity's node label
    entity_id: str  # its key: profileId or householdId
    metric: str  # the metric's name as defined (without the storage prefix)
    previous: Value  # the value before this computation; None if it had none
    value: Value  # the value now
    at: str  # when it was computed, ISO 8601 UTC ("2026-11-25T17:46:09Z")
    # The latest history values, oldest first, ending with `value` (for rules such as
    # "above the line for two consecutive periods"). Empty when the metric keeps none.
    history: tuple[Value, ...] = ()
    # Why it changed: "data" (interactions, a metrics run) or "identity" (the entity's
    # records changed: a record placed, a steward's merge, split or decision). Alert rules
    # skip identity changes unless a rule asks for them: a correction is not behaviour.
    cause: str = "data"
    # For an identity change, the audit event of the decision or upsert that caused it.
    cause_id: str | None = None
