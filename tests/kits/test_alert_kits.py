"""The alert kits: Datadog log monitors and Kibana rules for the completion and cost objectives.

Each definition is checked as the API that takes it checks it (what can be
checked offline: its shape, its query's grammar, its thresholds), its
fields against the index template or facets and against lines agentlog
wrote in the matching profile, and its query is run, by a small evaluator of
exactly the syntax it uses, on the `fleet` — so the figure an alert would
fire on is known: 9 of the 12 finished runs completed, and the calls cost
0.00273 USD, the explorer's figures.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog.cli import main
from tests.kits.fleet import write

KITS = Path(__file__).resolve().parents[2] / "kits"
MONITORS = sorted((KITS / "datadog" / "monitors").glob("*.json"))
RULES = sorted((KITS / "elasticsearch" / "rules").glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@pytest.fixture(scope="module")
def fleets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fleet written in each profile (json, ecs, datadog)."""
    directory = tmp_path_factory.mktemp("fleets")
    paths = {}
    for fmt in ("json", "ecs", "datadog"):
        paths[fmt] = directory / f"fleet-{fmt}.jsonl"
        write(paths[fmt], fmt)
    return paths


def _lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _all_runs(path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """``agentlog stats --by … --json``'s figures of all the runs."""
    capsys.readouterr()
    assert main(["stats", str(path), "--json", "--by", "user"]) == 0
    figures: dict[str, Any] = orjson.loads(capsys.readouterr().out)["all"]
    return figures


# -- Datadog -----------------------------------------------------------------------------------------

_LOGS_QUERY = re.compile(
    r'logs\("(?P<search>[^"]*)"\)\.index\("(?P<index>[^"]+)"\)'
    r'\.rollup\("(?P<rollup>count|sum|avg|min|max|cardinality)"(?:, "(?P<measure>@[\w.]+)")?\)'
    r'\.last\("(?P<window>\d+[mh])"\) (?P<operator><=|>=|<|>) (?P<threshold>[\d.]+)'
)
_FORMULA_QUERY = re.compile(
    r'formula\("(?P<formula>[^"]+)"\)\.last\("(?P<window>\d+[mh])"\)'
    r" (?P<operator><=|>=|<|>) (?P<threshold>[\d.]+)"
)
_WINDOW_LIMITS = {"m": 2880, "h": 48}
"""The longest window a log monitor evaluates, per unit (two days)."""


def _query(monitor: dict[str, Any]) -> re.Match[str]:
    match = _LOGS_QUERY.fullmatch(monitor["query"]) or _FORMULA_QUERY.fullmatch(monitor["query"])
    assert match is not None, monitor["query"]
    return match


def _searches(monitor: dict[str, Any]) -> dict[str, str]:
    """Each search of the monitor, by name (the query's own, or each formula variable's)."""
    match = _query(monitor)
    if "search" in match.groupdict():
        return {"query": match["search"]}
    return {variable["name"]: variable["search"]["query"] for variable in monitor["options"]["variables"]}


def _terms(search: str) -> list[tuple[str, str]]:
    """The ``attribute:value`` terms of a log search made only of them, all required (AND)."""
    terms = []
    for term in search.split():
        name, colon, value = term.partition(":")
        assert colon and re.fullmatch(r"@?[\w.]+", name) and re.fullmatch(r"[\w.-]+", value), term
        terms.append((name, value))
    return terms


def _matches(line: dict[str, Any], terms: list[tuple[str, str]], source: str) -> bool:
    """Whether a Datadog-profile line, shipped with ``source``, matches every term."""
    for name, value in terms:
        found = source if name == "source" else line.get(name.removeprefix("@"))
        if str(found) != value:
            return False
    return True


@pytest.mark.parametrize("path", MONITORS, ids=lambda path: path.stem)
def test_monitor_is_a_log_alert_the_api_takes(path: Path) -> None:
    """A "log alert" with a query of the log monitor grammar and thresholds that agree with it."""
    monitor = _load(path)
    assert monitor["type"] == "log alert"
    assert monitor["name"].startswith("agentlog: ") and monitor["message"]
    match = _query(monitor)
    window = match["window"]
    assert 1 <= int(window[:-1]) <= _WINDOW_LIMITS[window[-1]]
    thresholds = monitor["options"]["thresholds"]
    assert thresholds["critical"] == float(match["threshold"])
    # The warning comes before the critical threshold on the way to it.
    below = match["operator"].startswith("<")
    assert (
        (thresholds["warning"] > thresholds["critical"])
        if below
        else (thresholds["warning"] < thresholds["critical"])
    )
    if "formula" in match.groupdict():
        variables = monitor["options"]["variables"]
        names = {variable["name"] for variable in variables}
        assert set(re.findall(r"[a-z_]+", match["formula"])) == names
        for variable in variables:
            assert variable["data_source"] == "logs"
            assert variable["compute"] == {"aggregation": "count"}
            assert variable["indexes"] == ["*"] and variable["group_by"] == []


@pytest.mark.parametrize("path", MONITORS, ids=lambda path: path.stem)
def test_monitor_searches_facets_agentlog_writes(path: Path, fleets: dict[str, Path]) -> None:
    """Every attribute searched or summed is a facet of the kit, in lines of the datadog profile.

    The source is the one the Agent's config gives the lines, and each
    search matches some of the fleet's lines.
    """
    monitor = _load(path)
    facets = _load(KITS / "datadog" / "facets.json")
    known = {entry["path"] for entry in facets["facets"] + facets["measures"]}
    measures = {entry["path"] for entry in facets["measures"]}
    source = _source()
    lines = _lines(fleets["datadog"])
    written = {key for line in lines for key in line}
    for search in _searches(monitor).values():
        terms = _terms(search)
        assert ("source", source) in terms
        for name, _ in terms:
            assert name == "source" or (name.removeprefix("@") in known & written), name
        assert any(_matches(line, terms, source) for line in lines), search
    measure = _query(monitor).groupdict().get("measure")
    if measure is not None:
        assert measure.removeprefix("@") in measures & written


def _source() -> str:
    import yaml

    config = yaml.safe_load((KITS / "datadog" / "conf.yaml").read_text())
    source: str = config["logs"][0]["source"]
    return source


def test_completion_monitor_computes_the_completion_of_finished_runs(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """On the fleet: 9 completed of 12 finished runs, 0.75 < 0.995, so it alerts.

    The explorer's completion rate counts the unfinished run too (9 of 13): a
    log monitor sees no run that wrote no run_finished line.
    """
    monitor = _load(KITS / "datadog" / "monitors" / "completion-rate.json")
    lines = _lines(fleets["datadog"])
    counts = {
        name: sum(1 for line in lines if _matches(line, _terms(search), _source()))
        for name, search in _searches(monitor).items()
    }
    assert counts == {"completed": 9, "finished": 12}
    value = counts["completed"] / counts["finished"]
    assert value < monitor["options"]["thresholds"]["critical"]
    figures = _all_runs(fleets["json"], capsys)
    assert value == figures["completed"] / (figures["runs"] - figures["unfinished"])


def test_cost_monitor_sums_each_call_once(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Its sum over llm_result lines is the explorer's cost of all runs, 0.00273 USD.

    Not over run_finished lines: run 2's says 0.00042, its own call and its
    child's, and the child's own run_finished says 0.00021 again.
    """
    monitor = _load(KITS / "datadog" / "monitors" / "cost-budget.json")
    match = _query(monitor)
    measure = match["measure"].removeprefix("@")
    lines = _lines(fleets["datadog"])
    terms = _terms(match["search"])
    chosen = [line for line in lines if _matches(line, terms, _source()) and measure in line]
    spent = sum(Decimal(repr(line[measure])) for line in chosen)
    assert (len(chosen), spent) == (13, Decimal("0.00273"))
    assert float(spent) == _all_runs(fleets["json"], capsys)["cost_usd"]
    finished = {
        line["agentlog.run_id"]: line[measure]
        for line in lines
        if line.get("evt.name") == "run_finished" and "agentlog.child_cost_usd" in line
    }
    assert list(finished.values()) == [0.00042]


# -- Kibana ------------------------------------------------------------------------------------------

_TIME_UNITS = {"s", "m", "h", "d"}
_COMPARATORS = {">", ">=", "<", "<=", "between", "notBetween"}


def _check_params(params: dict[str, Any]) -> None:
    """The checks Kibana's Elasticsearch query rule makes of its params (rule_type_params.ts)."""
    assert params["searchType"] in {"esQuery", "esqlQuery"}
    assert 0 <= params["size"] <= 10000
    assert params["timeWindowSize"] >= 1 and params["timeWindowUnit"] in _TIME_UNITS
    assert params["thresholdComparator"] in _COMPARATORS and 1 <= len(params["threshold"]) <= 2
    assert params.get("aggType", "count") == "count" or params.get("aggField")
    assert params.get("groupBy", "all") in {"all", "top", "row"}
    if params["searchType"] == "esqlQuery":
        assert set(params["esqlQuery"]) == {"esql"} and params["esqlQuery"]["esql"]
        assert params["timeField"]
        assert params["thresholdComparator"] == ">" and params["threshold"] == [0]
        assert "esQuery" not in params and "index" not in params
    else:
        assert json.loads(params["esQuery"])["query"]
        assert params["index"] and params["timeField"]


@pytest.mark.parametrize("path", RULES, ids=lambda path: path.stem)
def test_rule_is_an_elasticsearch_query_rule_kibana_takes(path: Path) -> None:
    """rule_type_id .es-query, a schedule, and params Kibana's validation accepts."""
    rule = _load(path)
    assert rule["rule_type_id"] == ".es-query" and rule["consumer"] == "stackAlerts"
    assert re.fullmatch(r"\d+[smhd]", rule["schedule"]["interval"])
    assert rule["name"].startswith("agentlog: ") and rule["actions"] == []
    _check_params(rule["params"])


def _field(document: dict[str, Any], path: str) -> Any:
    """A field of an ECS document, by dotted path, whether keys are nested or dotted (as Filebeat expands)."""
    if path in document:
        return document[path]
    head, _, rest = path.partition(".")
    child = document.get(head)
    return _field(child, rest) if rest and isinstance(child, dict) else None


def _mapped(path: str) -> dict[str, Any]:
    properties = _load(KITS / "elasticsearch" / "index-template.json")["template"]["mappings"]["properties"]
    node: dict[str, Any] = {"properties": properties}
    for part in path.split("."):
        node = node["properties"][part]
    return node


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}
_ESQL_VALUE = r'(?:"(?P<text>[^"]*)"|(?P<number>[\d.]+))'


def _esql(query: str, documents: list[dict[str, Any]], fields: set[str]) -> list[dict[str, Any]]:
    """Run an ES|QL query of the few commands the rules use on *documents*; add each field read to *fields*.

    FROM, WHERE (``==``/``<``/``>`` against a string or number), STATS with
    COUNT(*) and SUM of a field or of CASE(field == "text", 1, 0), EVAL of
    TO_DOUBLE(a) / b. Anything else fails the test: the rule must use only
    what this evaluator knows the meaning of.
    """
    rows: list[dict[str, Any]] = documents
    computed: set[str] = set()  # columns STATS and EVAL make: not fields of the index
    for command in (part.strip() for part in query.split("|")):
        keyword, _, rest = command.partition(" ")
        if keyword == "FROM":
            patterns = _load(KITS / "elasticsearch" / "index-template.json")["index_patterns"]
            assert rest in patterns
        elif keyword == "WHERE":
            match = re.fullmatch(rf"(?P<field>[\w.]+) (?P<op>==|<|>) {_ESQL_VALUE}", rest)
            assert match is not None, command
            if match["field"] not in computed:
                fields.add(match["field"])
            wanted: Any = match["text"] if match["text"] is not None else float(match["number"])
            compare = _COMPARE[match["op"]]
            rows = [
                row
                for row in rows
                if (value := _field(row, match["field"])) is not None and compare(value, wanted)
            ]
        elif keyword == "STATS":
            result: dict[str, Any] = {}
            for assignment in re.split(r", (?=\w+ = )", rest):
                name, _, aggregate = assignment.partition(" = ")
                if aggregate == "COUNT(*)":
                    result[name] = len(rows)
                    continue
                case = re.fullmatch(r'SUM\(CASE\((?P<field>[\w.]+) == "(?P<text>[^"]*)", 1, 0\)\)', aggregate)
                plain = re.fullmatch(r"SUM\((?P<field>[\w.]+)\)", aggregate)
                assert case or plain, aggregate
                found = case or plain
                assert found is not None
                fields.add(found["field"])
                values = [_field(row, found["field"]) for row in rows]
                result[name] = (
                    sum(1 for value in values if value == found["text"])
                    if case
                    else sum(Decimal(repr(value)) for value in values if value is not None)
                )
            rows = [result]
            computed |= set(result)
        elif keyword == "EVAL":
            match = re.fullmatch(r"(?P<name>\w+) = TO_DOUBLE\((?P<a>\w+)\) / (?P<b>\w+)", rest)
            assert match is not None, command
            rows = [{**row, match["name"]: float(row[match["a"]]) / row[match["b"]]} for row in rows]
            computed.add(match["name"])
        else:
            raise AssertionError(f"an ES|QL command the evaluator does not know: {command}")
    return rows


def _dsl_hits(
    query: dict[str, Any], documents: list[dict[str, Any]], fields: set[str]
) -> list[dict[str, Any]]:
    """The documents a query of ``bool.filter`` ``term`` clauses matches (the only DSL the rules use)."""
    assert (
        set(query) == {"query"}
        and set(query["query"]) == {"bool"}
        and set(query["query"]["bool"]) == {"filter"}
    )
    hits = documents
    for clause in query["query"]["bool"]["filter"]:
        ((field, value),) = clause["term"].items()
        assert set(clause) == {"term"}
        fields.add(field)
        hits = [document for document in hits if _field(document, field) == value]
    return hits


def test_completion_rule_fires_on_the_fleet(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Its ES|QL gives one row, completion_rate 9/12 = 0.75 < 0.995: the rule fires (rows > 0)."""
    rule = _load(KITS / "elasticsearch" / "rules" / "completion-rate.json")
    fields: set[str] = set()
    rows = _esql(rule["params"]["esqlQuery"]["esql"], _lines(fleets["ecs"]), fields)
    assert rows == [{"finished": 12, "completed": 9, "completion_rate": 0.75}]
    figures = _all_runs(fleets["json"], capsys)
    assert rows[0]["completion_rate"] == figures["completed"] / (figures["runs"] - figures["unfinished"])
    assert fields == {"event.action", "agentlog.stop_reason"}


def test_completion_rule_is_quiet_when_the_objective_is_met(fleets: dict[str, Path]) -> None:
    """Only the completed runs: completion rate 1, no row, no alert."""
    rule = _load(KITS / "elasticsearch" / "rules" / "completion-rate.json")
    completed = [
        line for line in _lines(fleets["ecs"]) if _field(line, "agentlog.stop_reason") in (None, "completed")
    ]
    assert _esql(rule["params"]["esqlQuery"]["esql"], completed, set()) == []


def test_cost_rule_sums_each_call_once(fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """Its query and sum aggregation give 0.00273 USD over the llm_result lines, the explorer's cost."""
    params = _load(KITS / "elasticsearch" / "rules" / "cost-budget.json")["params"]
    fields: set[str] = set()
    hits = _dsl_hits(json.loads(params["esQuery"]), _lines(fleets["ecs"]), fields)
    values = [_field(hit, params["aggField"]) for hit in hits]
    spent = sum(Decimal(repr(value)) for value in values if value is not None)
    assert (len(hits), spent) == (17, Decimal("0.00273"))
    assert float(spent) == _all_runs(fleets["json"], capsys)["cost_usd"]
    assert not spent > params["threshold"][0]
    assert fields | {params["aggField"]} == {"event.action", "agentlog.cost_usd"}


@pytest.mark.parametrize("path", RULES, ids=lambda path: path.stem)
def test_rule_fields_are_mapped_and_written(path: Path, fleets: dict[str, Path]) -> None:
    """Each field a rule reads is in the index template (keyword or double) and in the fleet's ecs lines."""
    params = _load(path)["params"]
    lines = _lines(fleets["ecs"])
    fields: set[str] = set()
    if params["searchType"] == "esqlQuery":
        _esql(params["esqlQuery"]["esql"], lines, fields)
    else:
        _dsl_hits(json.loads(params["esQuery"]), lines, fields)
        fields.add(params["aggField"])
    fields.add(params["timeField"])
    for field in fields:
        assert _mapped(field)["type"] in {"keyword", "double", "date_nanos"}, field
        assert any(_field(line, field) is not None for line in lines), field
