"""The run explorer: runs, show, stats, validate over real files of every profile."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

import agentlog
from agentlog import events, propagation
from agentlog.cli import main

HOSTILE = "\x1b[2J\x1b[31mred\x07\u202eevil\r\n"


def _run_cli(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "agentlog", *argv], capture_output=True, input=stdin, timeout=120, check=False
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Several runs over three files in three profiles; one fails deep inside a child run."""
    folder = tmp_path_factory.mktemp("logs")
    main_path, child_path, other_path = (
        folder / "agent.jsonl",
        folder / "retrieval.ecs.jsonl",
        folder / "dd.jsonl",
    )
    ids: dict[str, Any] = {"folder": folder}
    agentlog.configure(output=main_path, service="agent")
    for user in ("u-1", "u-2"):
        with agentlog.run(task="ok", user_id=user) as ok, agentlog.step("tool"):
            for _ in range(3):
                with agentlog.tool_call("search", {"q": "same"}):
                    pass
            with agentlog.llm_call("gpt-4o", provider="openai") as llm:
                llm.set_usage(100, 10, "stop")
            agentlog.get_logger("agent").info("hostile tool output", value=HOSTILE)
        ids[user] = ok.run_id
    # The failing one: parent (json) -> child run in another "service" (ecs file) -> grandchild fails.
    with pytest.raises(TimeoutError), agentlog.run(task="delegate", user_id="u-3") as parent:
        ids["parent"] = parent.run_id
        with agentlog.step("delegate"):
            carrier = propagation.headers()
            agentlog.configure(output=child_path, format="ecs", service="retrieval")
            with agentlog.run(parent=propagation.extract(carrier)) as child:
                ids["child"] = child.run_id
                with agentlog.step("plan"):
                    events.decision("route", "billing", reason="invoice question")
                with agentlog.run() as grandchild, agentlog.step("tool"):
                    ids["grandchild"] = grandchild.run_id
                    with agentlog.tool_call("fetch_invoice", {"id": 7}) as call:
                        ids["tool_call_id"] = call.tool_call_id
                        raise TimeoutError(f"billing API timed out {HOSTILE}")
    agentlog.configure(output=main_path, service="agent")  # the parent's run_finished goes to the json file
    with open(main_path, "ab") as handle:
        handle.write(b'not json at all\n{"valid": "json but not agentlog"}\n{truncated\n')
    agentlog.configure(output=other_path, format="datadog", service="other")
    with agentlog.run(user_id="u-4") as other:
        ids["other"] = other.run_id
    agentlog.configure(output=io.StringIO())
    # Gzip the Datadog file.
    with open(other_path, "rb") as source, gzip.open(str(other_path) + ".gz", "wb") as target:
        shutil.copyfileobj(source, target)
    other_path.unlink()
    ids["files"] = [str(main_path), str(child_path), str(other_path) + ".gz"]
    return ids


def test_runs_lists_every_run_newest_first(logs: dict[str, Any]) -> None:
    """One row per run across json, ecs and gzipped datadog files; malformed lines reported."""
    code, out, err = _run_cli("runs", str(logs["folder"]), "--json")
    assert code == 0
    rows = orjson.loads(out)
    assert {row["run_id"] for row in rows} == {
        logs["u-1"],
        logs["u-2"],
        logs["parent"],
        logs["child"],
        logs["grandchild"],
        logs["other"],
    }
    starts = [row["started"] for row in rows]
    assert starts == sorted(starts, reverse=True)
    assert "lines skipped" in err


def test_runs_filters(logs: dict[str, Any]) -> None:
    """--status, --user, --service, --tool and --since narrow the rows."""

    def ids(*extra: str) -> set[str]:
        code, out, _ = _run_cli("runs", *logs["files"], "--json", *extra)
        assert code == 0
        return {row["run_id"] for row in orjson.loads(out)}

    assert ids("--status", "error") == {logs["parent"], logs["child"], logs["grandchild"]}
    assert ids("--user", "u-2") == {logs["u-2"]}
    assert ids("--service", "other") == {logs["other"]}
    assert ids("--tool", "fetch_invoice") == {logs["grandchild"]}
    assert ids("--since", "1d") == ids()
    assert ids("--until", "2000-01-01T00:00:00Z") == set()


def test_runs_text_table(logs: dict[str, Any]) -> None:
    """The text table shows short and full IDs, status and stop reason."""
    code, out, _ = _run_cli("runs", *logs["files"])
    assert code == 0
    assert logs["parent"][:8] in out and logs["parent"] in out
    assert "tool_error" in out


def test_show_finds_the_failure_deep_in_a_child_run(logs: dict[str, Any]) -> None:
    """From the parent's 8-character prefix: the grandchild's tool, step and error."""
    code, out, _ = _run_cli("show", logs["parent"][:8], *logs["files"], "--json")
    assert code == 0
    document = orjson.loads(out)
    assert document["run_id"] == logs["parent"]
    failure = document["failure"]
    assert failure["run_id"] == logs["grandchild"]
    assert failure["tool"] == "fetch_invoice"
    assert failure["tool_call_id"] == logs["tool_call_id"]
    assert failure["step_id"] == 1
    assert failure["error_class"] == "TimeoutError"
    assert document["stop_reason"] == "step_error"
    assert {run["run_id"] for run in document["runs"]} == {logs["parent"], logs["child"], logs["grandchild"]}


def test_show_text_names_run_step_tool_and_error(logs: dict[str, Any]) -> None:
    """The text tree names the child runs, the decision, and marks the failure."""
    code, out, _ = _run_cli("show", logs["parent"][:8], *logs["files"])
    assert code == 0
    assert f"Run {logs['parent']}" in out
    assert logs["child"] in out and logs["grandchild"] in out
    assert "decision route → billing" in out
    assert "◀ failed here" in out
    assert "Failed at: child run" in out and "tool fetch_invoice" in out and "TimeoutError" in out
    assert "Stop reason: step_error" in out


def test_show_neutralizes_control_characters(logs: dict[str, Any]) -> None:
    """Escape sequences and bidi overrides from logged values never reach the terminal."""
    for run in (logs["parent"], logs["u-1"]):
        code, out, _ = _run_cli("show", run[:8], *logs["files"], "--color", "never")
        assert code == 0
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\r" not in out


def test_show_colours_only_when_asked(logs: dict[str, Any]) -> None:
    """Plain text when piped; colour with --color always (and then only agentlog's own codes)."""
    _, plain, _ = _run_cli("show", logs["parent"][:8], *logs["files"])
    _, coloured, _ = _run_cli("show", logs["parent"][:8], *logs["files"], "--color", "always")
    assert "\x1b[" not in plain
    assert "\x1b[31;1m" in coloured
    assert "\x1b[2J" not in coloured


def test_show_errors(logs: dict[str, Any]) -> None:
    """Unknown run: exit 1; too short or ambiguous prefix: exit 2 with the candidates."""
    assert _run_cli("show", "ffffffff", *logs["files"])[0] == 1
    assert _run_cli("show", "ab", *logs["files"])[0] == 2
    ambiguous = ""
    ids = [logs[k] for k in ("u-1", "u-2", "parent", "child", "grandchild", "other")]
    for length in range(1, 8):
        prefixes = [run[:length] for run in ids]
        if len(set(prefixes)) < len(prefixes) and length >= 4:
            ambiguous = next(p for p in prefixes if prefixes.count(p) > 1)
    if ambiguous:
        code, _, err = _run_cli("show", ambiguous, *logs["files"])
        assert code == 2 and "matches" in err


def test_show_reads_stdin_and_writes_html(logs: dict[str, Any], tmp_path: Path) -> None:
    """`-` reads stdin; --html writes a self-contained page."""
    data = b"".join(Path(f).read_bytes() for f in logs["files"][:2])
    page = tmp_path / "run.html"
    code, out, _ = _run_cli("show", logs["parent"], "-", "--html", str(page), stdin=data)
    assert code == 0
    assert "◀ failed here" in out
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched
    assert logs["grandchild"] in text


def test_html_waterfall_renders_in_chromium(logs: dict[str, Any], tmp_path: Path) -> None:
    """Headless Chromium renders the waterfall: one bar per span, the failing one marked."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is installed by `nox -s tests` (as root); not on this machine")
    page = tmp_path / "run.html"
    assert main(["show", logs["parent"][:8], *logs["files"], "--html", str(page), "--json"]) == 0
    done = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri(),
        ],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    dom = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert dom.count('<div class="row') == 7  # 3 runs, 3 steps, 1 tool call
    assert dom.count('class="bar k-tool error failed') == 1  # layout: test_page_in_chromium.py
    assert '<div class="failure" id="failure"><span class="where">Failed at: child run' in dom


def test_stats(logs: dict[str, Any]) -> None:
    """Per tool and model figures, stop reasons, and the repeated-arguments loop."""
    code, out, _ = _run_cli("stats", *logs["files"], "--json")
    assert code == 0
    stats = orjson.loads(out)
    tools = {row["tool"]: row for row in stats["tools"]}
    assert tools["search"]["calls"] == 6 and tools["search"]["error_rate"] == 0
    assert tools["fetch_invoice"]["error_rate"] == 1
    assert tools["search"]["p99_ms"] >= tools["search"]["p50_ms"]
    models = {row["model"]: row for row in stats["models"]}
    assert models["gpt-4o"]["calls"] == 2 and models["gpt-4o"]["input_tokens"] == 200
    assert stats["stop_reasons"] == {"completed": 3, "step_error": 1, "tool_error": 1, "error": 1}
    assert {row["count"] for row in stats["repeated_tool_calls"]} == {3}
    assert stats["slowest_tool_calls"][0]["latency_ms"] >= stats["slowest_tool_calls"][-1]["latency_ms"]
    code, text, _ = _run_cli("stats", *logs["files"])
    assert "fetch_invoice" in text and "a loop?" in text


def test_validate(logs: dict[str, Any], tmp_path: Path) -> None:
    """Valid files exit 0; a file with invalid lines exits 1 and says where."""
    code, out, _ = _run_cli("validate", logs["files"][1])
    assert code == 0, out
    code, out, _ = _run_cli("validate", logs["files"][0])
    assert code == 1
    assert "3 invalid" in out
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"timestamp":"2026-01-01T00:00:00Z","level":"info","event":"tool_call","tool":"t"}\n')
    code, out, _ = _run_cli("validate", str(bad), "--json")
    assert code == 1
    assert orjson.loads(out)["errors"][0].startswith(f"{bad}:1:")


def test_show_finds_child_runs_in_files_listed_before_the_parent(logs: dict[str, Any]) -> None:
    """Input order does not matter: a child run's file read before the parent's is searched again."""
    code, out, _ = _run_cli("show", logs["parent"], *reversed(logs["files"]), "--json")
    assert code == 0
    assert orjson.loads(out)["failure"]["run_id"] == logs["grandchild"]


def test_show_is_the_same_whatever_the_search_window(
    logs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines that straddle the blocks a file is read in are found whole (blocks of 4 KiB)."""
    from agentlog._explorer import reader

    expected = io.StringIO()
    sys_stdout = sys.stdout
    try:
        sys.stdout = expected
        assert main(["show", logs["parent"][:8], *logs["files"], "--json"]) == 0
        monkeypatch.setattr(reader, "_BLOCK", 4096)
        small = io.StringIO()
        sys.stdout = small
        assert main(["show", logs["parent"][:8], *logs["files"], "--json"]) == 0
    finally:
        sys.stdout = sys_stdout
    assert orjson.loads(small.getvalue()) == orjson.loads(expected.getvalue())


def test_validate_without_jsonschema_says_how_to_install_it(
    logs: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the optional jsonschema, validate exits 2 and names the extra to install."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    assert main(["validate", logs["files"][1]]) == 2
    captured = capsys.readouterr()
    assert captured.err == "agentlog: validate needs jsonschema: python3 -m pip install jsonschema\n"
    assert captured.out == ""


def test_version_prints_the_package_version() -> None:
    """`agentlog --version` prints the installed version and exits 0."""
    code, out, _ = _run_cli("--version")
    assert code == 0
    assert out.strip() == f"agentlog {agentlog.__version__}"


_KILLED_AGENT = """
import os, sys, agentlog
agentlog.configure(output=sys.argv[1], service="agent")
with agentlog.run(task="t", user_id="u") as run, agentlog.step("tool"):
    with agentlog.tool_call("search", {"q": 1}):
        print(run.run_id, flush=True)
        os._exit(9)
"""


def test_show_of_a_killed_process_run_says_unfinished(tmp_path: Path) -> None:
    """A process killed in a tool call: `show` and `show --json` say unfinished, with a ≥ duration."""
    log = tmp_path / "killed.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_AGENT, str(log)], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 9
    run_id = done.stdout.decode().strip()
    code, out, _ = _run_cli("show", run_id[:8], str(log))
    assert code == 0
    assert (
        out.splitlines()[0]
        == f"Run {run_id}  unfinished  no run_finished line: killed, crashed or still running"
    )
    assert " duration ≥" in out.splitlines()[1] and "stop_reason=unknown" not in out
    code, out, _ = _run_cli("show", run_id[:8], str(log), "--json")
    view = orjson.loads(out)
    assert (view["outcome"], view["unfinished"], view["status"]) == ("unfinished", True, None)
    assert view["duration_ms"] is not None and view["duration_ms"] >= 0


_LOADED = (
    "import sys; {0}; "
    "print(*(name for name in sys.modules if name.startswith('agentlog._explorer.')), file=sys.stderr)"
)
_OTHER_COMMANDS = {"diff", "follow", "stats", "validate"}


def _explorer_modules_loaded(statement: str) -> set[str]:
    """The explorer modules a fresh interpreter has loaded after *statement*."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED.format(statement)], capture_output=True, timeout=60, check=True
    )
    return {name.rpartition(".")[2] for name in done.stderr.decode().split()}  # stdout is the command's


def test_importing_the_cli_loads_no_other_commands_modules() -> None:
    """`import agentlog.cli` leaves diff, tail (follow), stats and validate to their handlers."""
    assert _explorer_modules_loaded("import agentlog.cli") & _OTHER_COMMANDS == set()


def test_show_loads_only_what_it_needs(logs: dict[str, Any]) -> None:
    """`agentlog show` reads, rebuilds and prints a run without loading diff, tail, stats or validate."""
    statement = f"from agentlog.cli import main; main(['show', {logs['parent']!r}, *{logs['files']!r}])"
    loaded = _explorer_modules_loaded(statement)
    assert {"reader", "runs", "tree", "text"} <= loaded
    assert loaded & _OTHER_COMMANDS == set()


def test_a_command_pauses_the_garbage_collector_only_while_it_runs(
    logs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`runs` reads with the cyclic collector off (it frees nothing there), and leaves it as it found it."""
    import gc

    from agentlog import cli

    seen: list[bool] = []
    real = cli._cmd_runs

    def spy(*args: Any) -> int:
        seen.append(gc.isenabled())
        return real(*args)

    monkeypatch.setattr(cli, "_cmd_runs", spy)
    assert gc.isenabled()
    assert main(["runs", str(logs["folder"] / "agent.jsonl")]) == 0
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        assert main(["runs", str(logs["folder"] / "agent.jsonl")]) == 0
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
