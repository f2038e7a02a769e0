"""Reading any output profile back into the flat form the rest of the explorer uses.

The ``json`` profile is the flat form already. The ``ecs`` and ``datadog``
profiles rename some fields (after the tables in `agentlog._vocabulary`),
nest or dot-join the rest under ``agentlog``, and move the agent's status to
an outcome; this module undoes that. Either spelling of a dotted field is
read: a shipper may have expanded ``"trace.id"`` into ``{"trace": {"id": ...}}``.
"""

from __future__ import annotations

from typing import Any

from agentlog._vocabulary import (
    DATADOG_FIELDS,
    DATADOG_LEVEL,
    DATADOG_OUTCOME,
    ECS_FIELDS,
    ECS_LEVEL,
    ECS_OUTCOME,
    ECS_TIMESTAMP,
    EVENT,
    LEVEL,
    MESSAGE,
    NAMESPACE,
    OUTCOMES,
    RUN_STARTED,
    TIMESTAMP,
    USER_ID,
)

__all__ = ["to_flat"]

_STATUSES = {outcome: status for status, outcome in OUTCOMES.items()}
_PREFIX = NAMESPACE + "."
_ABSENT: Any = object()  # not None: a field can be present with a null value


def _get(tree: Any, path: str) -> Any:
    """The value at a dotted path, whether dotted keys or nested objects; _ABSENT if none."""
    if isinstance(tree, dict) and path in tree:
        return tree[path]
    head, _, rest = path.partition(".")
    if not rest or not isinstance(tree, dict) or head not in tree:
        return _ABSENT
    return _get(tree[head], rest)


def to_flat(record: dict[str, Any]) -> dict[str, Any] | None:
    """Turn a line of any profile (json, ecs, datadog) back into the flat form.

    A ``json`` line is returned as it is (not copied). Returns None for a JSON
    object that is not an agentlog line.
    """
    if EVENT in record and TIMESTAMP in record and LEVEL in record:
        return record
    if ECS_TIMESTAMP in record and ECS_LEVEL in record:
        return _from_ecs(record)
    if TIMESTAMP in record and DATADOG_LEVEL in record and MESSAGE in record:
        return _from_datadog(record)
    return None


def _from_ecs(record: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {
        TIMESTAMP: record[ECS_TIMESTAMP],
        LEVEL: record[ECS_LEVEL],
        EVENT: record.get(MESSAGE),
    }
    for key, path in ECS_FIELDS.items():
        value = _get(record, path)
        if value is not _ABSENT:
            flat[key] = value
    if flat[EVENT] == RUN_STARTED:
        # The ecs profile leaves out user.id when there is no user; the json line says null.
        flat.setdefault(USER_ID, None)
    outcome = _get(record, ECS_OUTCOME)
    if outcome in _STATUSES:
        flat["status"] = _STATUSES[outcome]
    nested = _get(record, NAMESPACE)
    if isinstance(nested, dict):
        flat.update(nested)
    flat.update({key[len(_PREFIX) :]: value for key, value in record.items() if key.startswith(_PREFIX)})
    return flat


def _from_datadog(record: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {
        TIMESTAMP: record[TIMESTAMP],
        LEVEL: record[DATADOG_LEVEL],
        EVENT: record[MESSAGE],
    }
    for key, attribute in DATADOG_FIELDS.items():
        value = _get(record, attribute)
        if value is not _ABSENT:
            flat[key] = value
    if "service" in record:
        flat["service"] = record["service"]
    outcome = _get(record, DATADOG_OUTCOME)
    if outcome in _STATUSES:
        flat["status"] = _STATUSES[outcome]
    # Unlike ecs, dotted keys come before the nested object here, so the nested one wins a clash.
    for key, value in record.items():
        if key.startswith(_PREFIX):
            flat[key[len(_PREFIX) :]] = value
    nested = record.get(NAMESPACE)
    if isinstance(nested, dict):
        flat.update(nested)
    return flat
