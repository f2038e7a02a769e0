"""The Filebeat, Elasticsearch and Datadog kits agree with what agentlog writes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

import agentlog
from agentlog import events

KITS = Path(__file__).resolve().parents[2] / "kits"


PRICES = agentlog.PriceTable({"m": {"input": 2, "output": 8}}, version="v-test", bundled=False)
VERSIONS = {
    "prompt_version": "v8",
    "policy_version": "p1",
    "route_config_version": "r1",
    "tool_contract_version": "t1",
}


def _lines(fmt: str) -> list[dict[str, Any]]:
    """A rich run in *fmt*: every kind of field, a priced call with request parameters, costs, versions.

    Model ``m`` is priced (and its child run's call too, so the parent's
    ``run_finished`` has ``child_cost_usd``); model ``x`` is not
    (``unpriced_llm_calls``).
    """
    out = io.BytesIO()
    agentlog.configure(
        output=out,
        format=fmt,  # type: ignore[arg-type]
        service="svc",
        env="prod",
        version="1",
        capture="full",
        prices=PRICES,
    )
    with (
        pytest.raises(ValueError),
        agentlog.run(task="t", user_id="u", session_id="s", request_id="r", metadata=VERSIONS),
    ):
        with (
            agentlog.step("model", tool="x"),
            agentlog.llm_call("m", provider="p", temperature=0.2, max_tokens=64, top_p=0.9, seed=7) as llm,
        ):
            llm.set_usage(
                4,
                2,
                "stop",
                cache_read_input_tokens=1,
                cache_creation_input_tokens=1,
                reasoning_output_tokens=1,
            )
            llm.prompt, llm.completion = "hi", "there"
        with agentlog.llm_call("x", provider="p") as unpriced:
            unpriced.set_usage(3, 1, "stop")
        events.decision("route", "a", reason="b")
        with agentlog.run(), agentlog.step("tool"), agentlog.tool_call("t", {"a": 1}) as call:
            call.result = [1]
            with agentlog.llm_call("m", provider="p") as child_call:
                child_call.set_usage(1, 1, "stop")
        agentlog.get_logger("lg").info("free", custom_number=1.5, custom_text="x")
        raise ValueError("boom")
    return [orjson.loads(x) for x in out.getvalue().splitlines()]


def _leaves(tree: dict[str, Any], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        paths.extend(_leaves(value, f"{path}.") if isinstance(value, dict) and value else [path])
    return paths


def _mapping_for(properties: dict[str, Any], path: str) -> dict[str, Any] | None:
    head, _, rest = path.partition(".")
    node = properties.get(head)
    if node is None:
        return None
    if not rest:
        return dict(node)
    return _mapping_for(node.get("properties", {}), rest)


def test_index_template_maps_every_field_agentlog_writes() -> None:
    """Each ECS field in a rich run has an explicit mapping or falls under agentlog.* dynamic templates."""
    template = json.loads((KITS / "elasticsearch" / "index-template.json").read_text())
    mappings = template["template"]["mappings"]
    properties = mappings["properties"]
    for line in _lines("ecs"):
        expanded: dict[str, Any] = {}
        for key, value in line.items():
            if "." in key:
                head, _, rest = key.partition(".")
                expanded.setdefault(head, {})[rest] = value
            else:
                expanded[key] = value
        for path in _leaves(expanded):
            parts = path.split(".")
            prefixes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
            mapped = any(_mapping_for(properties, prefix) is not None for prefix in prefixes)
            # Under agentlog.*, dynamic templates map strings as keyword and numbers as double.
            assert mapped or path.startswith("agentlog."), path


def test_index_template_types() -> None:
    """IDs are keywords, durations and tokens are longs, the timestamp keeps microseconds."""
    properties = json.loads((KITS / "elasticsearch" / "index-template.json").read_text())["template"][
        "mappings"
    ]["properties"]
    for path in ("trace.id", "span.id", "agentlog.run_id", "agentlog.parent_run_id", "agentlog.tool_call_id"):
        assert _mapping_for(properties, path) == {"type": "keyword", "ignore_above": 1024}, path
    for path in ("event.duration", "agentlog.input_tokens", "agentlog.output_tokens", "agentlog.step_id"):
        assert _mapping_for(properties, path) == {"type": "long"}, path
    assert _mapping_for(properties, "@timestamp") == {"type": "date_nanos"}


def test_filebeat_uses_filestream_with_ndjson_expand_keys() -> None:
    """The Filebeat kit reads whole JSON lines and expands dotted keys."""
    config = yaml.safe_load((KITS / "filebeat" / "filebeat.yml").read_text())
    (stream,) = config["filebeat.inputs"]
    assert stream["type"] == "filestream"
    ndjson = stream["parsers"][0]["ndjson"]
    assert ndjson["expand_keys"] is True
    assert ndjson["target"] == ""


def test_datadog_pipeline_and_facets_name_attributes_agentlog_writes() -> None:
    """Remappers point at dd.trace_id/dd.span_id/status/timestamp; facets exist in the lines."""
    pipeline = json.loads((KITS / "datadog" / "pipeline.json").read_text())
    sources = {p["type"]: p["sources"] for p in pipeline["processors"]}
    assert sources["trace-id-remapper"] == ["dd.trace_id"]
    assert sources["span-id-remapper"] == ["dd.span_id"]
    assert sources["status-remapper"] == ["status"]
    assert sources["date-remapper"] == ["timestamp"]
    lines = _lines("datadog")
    written = {key for line in lines for key in line}
    for processor_sources in sources.values():
        assert set(processor_sources) & written
    facets = json.loads((KITS / "datadog" / "facets.json").read_text())
    for entry in facets["facets"] + facets["measures"]:
        assert entry["path"] in written, entry["path"]


def test_datadog_agent_config_is_valid_yaml() -> None:
    """The Agent config tails JSON lines with source agentlog (what the pipeline filters on)."""
    config = yaml.safe_load((KITS / "datadog" / "conf.yaml").read_text())
    (entry,) = config["logs"]
    assert entry["type"] == "file"
    pipeline = json.loads((KITS / "datadog" / "pipeline.json").read_text())
    assert pipeline["filter"]["query"] == f"source:{entry['source']}"


NEW_FIELD_TYPES = {
    "cost_usd": {"type": "double"},
    "child_cost_usd": {"type": "double"},
    "unpriced_llm_calls": {"type": "long"},
    "price_source": {"type": "keyword", "ignore_above": 1024},
    "price_version": {"type": "keyword", "ignore_above": 1024},
    "temperature": {"type": "double"},
    "top_p": {"type": "double"},
    "max_tokens": {"type": "long"},
    "seed": {"type": "long"},
    **{key: {"type": "keyword", "ignore_above": 1024} for key in VERSIONS},
}
"""The cost, price, request parameter and version fields, and how the index template maps them."""


def test_index_template_maps_costs_parameters_and_versions() -> None:
    """Each is mapped explicitly under agentlog.*, and each is a field agentlog writes in ecs.

    Explicitly, because dynamic mapping would take its type from the first
    value seen: a ``cost_usd`` of ``0`` or a ``prompt_version`` of ``8``
    would make a long, and every later ``0.0021`` or ``v9`` would be lost.
    """
    properties = json.loads((KITS / "elasticsearch" / "index-template.json").read_text())["template"][
        "mappings"
    ]["properties"]
    written = {key for line in _lines("ecs") for key in line.get("agentlog", {})}
    for name, mapping in NEW_FIELD_TYPES.items():
        assert _mapping_for(properties, f"agentlog.{name}") == mapping, name
        assert name in written, name


def test_datadog_facets_for_costs_parameters_and_versions() -> None:
    """Costs are measures in dollars, counts and parameters measures; versions and prices are facets."""
    facets = json.loads((KITS / "datadog" / "facets.json").read_text())
    measures = {entry["path"]: entry for entry in facets["measures"]}
    strings = {entry["path"] for entry in facets["facets"] if entry["type"] == "string"}
    for name in ("cost_usd", "child_cost_usd"):
        assert measures[f"agentlog.{name}"] == {
            "path": f"agentlog.{name}",
            "type": "double",
            "unit": "dollar",
        }
    for name, kind in (
        ("unpriced_llm_calls", "integer"),
        ("max_tokens", "integer"),
        ("temperature", "double"),
    ):
        assert measures[f"agentlog.{name}"]["type"] == kind
    assert measures["agentlog.top_p"]["type"] == "double"
    assert {f"agentlog.{name}" for name in ("price_source", "price_version", *VERSIONS)} <= strings
