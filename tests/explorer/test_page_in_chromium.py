"""The run view and the report rendered in real headless Chromium: DOM, layout, clicks, hostile values.

Chromium is driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``:
commands on fd 3, answers on fd 4, each a JSON message ended by a NUL byte), so
the tests measure what a person would see — every bar's ``getBoundingClientRect()``
against its span's times — and click like one, with no extra package. One browser
serves the whole module; each page opens in a tab of its own.
"""

from __future__ import annotations

import fcntl
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from agentlog.cli import main

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no chromium binary on this machine (`nox -s tests` installs it as root)"
)

RUN = "aaaaaaaa-0000-4000-8000-000000000001"
CHILD = "bbbbbbbb-0000-4000-8000-000000000002"
OK_RUN = "cccccccc-0000-4000-8000-000000000003"
RECOVERED = "dddddddd-0000-4000-8000-000000000004"
KILLED = "eeeeeeee-0000-4000-8000-000000000005"
HOSTILE = (
    "<!-- </script><script>window.__pwned=1</script>"
    '<img src=x onerror="window.__pwned=2"> \u202eevil\u061c \x1b[2J\x1b[31mred\x07 & &amp; \u2028'
)
WIDTH, HEIGHT = 1400, 1000
_AS_FDS_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execv(sys.argv[3], sys.argv[3:])"
)


class Chromium:
    """A headless Chromium driven over its DevTools protocol on a pair of pipes."""

    def __init__(self, binary: str, profile: Path) -> None:
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()
        # The browser's ends moved above fd 9, so that making them fds 3 and 4 cannot overwrite either.
        commands_read, answers_write = (self._above_9(fd) for fd in (commands_read, answers_write))
        arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
            f"--window-size={WIDTH},{HEIGHT}", f"--user-data-dir={profile}", "about:blank",
        ]  # fmt: skip
        # A small Python gives the browser its ends of the pipes as fds 3 and 4, then becomes the browser.
        self.process = subprocess.Popen(
            [sys.executable, "-c", _AS_FDS_3_AND_4, str(commands_read), str(answers_write), *arguments],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(commands_read, answers_write),
        )
        os.close(commands_read)
        os.close(answers_write)
        self._buffer = b""
        self._next_id = 0

    @staticmethod
    def _above_9(fd: int) -> int:
        """A copy of *fd* numbered 10 or more; *fd* itself is closed."""
        moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
        os.close(fd)
        return moved

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        """Send one command and return its result; raise on a protocol error or after 60 s."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, orjson.dumps(message) + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" in self._buffer:
                raw, _, self._buffer = self._buffer.partition(b"\0")
                answer = orjson.loads(raw)
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._answers], [], [], left)[0]:
                raise TimeoutError(f"chromium did not answer {method}")
            chunk = os.read(self._answers, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed its pipe")
            self._buffer += chunk

    def open(self, url: str) -> Tab:
        """A new tab on *url*, once the page's script has rendered it."""
        target = self.send("Target.createTarget", {"url": url})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, target, session)
        deadline = time.monotonic() + 30
        while tab.evaluate("document.body && document.body.dataset.rendered") != "yes":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not render: {tab.evaluate('document.title')!r}")
            time.sleep(0.05)
        tab.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        return tab

    def close(self) -> None:
        """Close the browser (and its pipes)."""
        try:
            self.send("Browser.close")
        except (OSError, RuntimeError, TimeoutError):
            self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._commands)
        os.close(self._answers)


class Tab:
    """One page in the browser: evaluate scripts in it, click in it."""

    def __init__(self, browser: Chromium, target: str, session: str) -> None:
        self.browser, self.target, self.session = browser, target, session

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript *expression* (awaited), as JSON."""
        result = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            self.session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def click(self, x: float, y: float) -> None:
        """A real mouse click at (x, y) in the viewport: press and release of the left button."""
        for kind in ("mousePressed", "mouseReleased"):
            self.browser.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
                self.session,
            )

    def close(self) -> None:
        """Close the tab."""
        self.browser.send("Target.closeTarget", {"targetId": self.target})


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chromium]:
    """One headless Chromium for the module."""
    assert BROWSER is not None
    chromium = Chromium(BROWSER, tmp_path_factory.mktemp("chromium-profile"))
    yield chromium
    chromium.close()


def _line(event: str, second: float, run_id: str = RUN, **fields: Any) -> dict[str, Any]:
    stamp = f"2026-11-22T03:00:{second:09.6f}Z"
    return {
        "timestamp": stamp,
        "level": "info",
        "event": event,
        "run_id": run_id,
        "trace_id": "1" * 32,
        **fields,
    }


def _incident(failing: bool = True, hostile: str = "") -> list[dict[str, Any]]:
    """A run of 10 s: a step with an LLM call, a step whose tool call fails (or not), a child run.

    The spans start and end at known seconds (see `EXPECTED`); *hostile* goes
    into the failing call's error, stack and log line, the metadata and a tool's name.
    """
    tool: dict[str, Any] = {
        "span_id": "t1",
        "parent_span_id": "s2",
        "tool": f"fetch{hostile}",
        "tool_call_id": "c1",
        "step_id": 2,
    }
    error: dict[str, Any] = (
        {"status": "error", "error_class": "TimeoutError", "error_message": f"slow {hostile}",
         "error_stack": f'Traceback (most recent call last):\n  File "t.py", line 3\nTimeoutError: {hostile}'}
        if failing else {"status": "ok"}
    )  # fmt: skip
    run_end: dict[str, Any] = (
        {"status": "error", "stop_reason": "tool_error", "errors": 1, "error_class": "TimeoutError"}
        if failing
        else {"status": "ok", "stop_reason": "completed", "errors": 0}
    )
    return [
        _line("run_started", 0, span_id="r0", user_id="u-1", session_id="sess-1", service="agent",
              prompt_version=f"v7{hostile}", metadata={"service": "billing"}),
        _line("agent_step", 0.5, span_id="s1", parent_span_id="r0", step_id=1, step_type="plan"),
        _line("llm_result", 2.0, span_id="l1", parent_span_id="s1", step_id=1, model="gpt-4o",
              provider="openai", latency_ms=1200, status="ok", input_tokens=100, output_tokens=20),
        _line("step_finished", 2.1, span_id="s1", parent_span_id="r0", step_id=1, status="ok",
              latency_ms=1600),
        _line("agent_step", 2.5, span_id="s2", parent_span_id="r0", step_id=2, step_type="tool"),
        _line("tool_call", 3.0, **tool),
        _line("GET /orders", 3.1, span_id="t1", step_id=2, logger="http", value=f"v{hostile}"),
        _line("tool_result", 6.0, **tool, latency_ms=3000, **error),
        _line("step_finished", 6.2, span_id="s2", parent_span_id="r0", step_id=2, latency_ms=3700,
              status=error["status"]),
        _line("agent_step", 6.5, span_id="s3", parent_span_id="r0", step_id=3, step_type="delegate"),
        _line("run_started", 7.0, CHILD, span_id="c0", parent_span_id="s3", parent_run_id=RUN, user_id="u-1"),
        _line("agent_step", 7.1, CHILD, span_id="c1", parent_span_id="c0", step_id=1, step_type="tool"),
        _line("tool_call", 7.5, CHILD, span_id="c2", parent_span_id="c1", tool="search", tool_call_id="c9"),
        _line("tool_result", 8.0, CHILD, span_id="c2", parent_span_id="c1", tool="search", tool_call_id="c9",
              status="ok", latency_ms=500),
        _line("step_finished", 8.9, CHILD, span_id="c1", parent_span_id="c0", status="ok", latency_ms=1800),
        _line("run_finished", 9.0, CHILD, span_id="c0", status="ok", stop_reason="completed",
              total_latency_ms=2000),
        _line("step_finished", 9.2, span_id="s3", parent_span_id="r0", step_id=3, status="ok",
              latency_ms=2700),
        _line("run_finished", 10.0, span_id="r0", total_latency_ms=10000, total_steps=3, tool_calls=1,
              llm_calls=1, input_tokens=100, output_tokens=20, **run_end),
    ]  # fmt: skip


EXPECTED = {  # span ID: (start, end) in seconds from the run's start
    "r0": (0.0, 10.0),
    "s1": (0.5, 2.1),
    "l1": (0.8, 2.0),
    "s2": (2.5, 6.2),
    "t1": (3.0, 6.0),
    "s3": (6.5, 9.2),
    "c0": (7.0, 9.0),
    "c1": (7.1, 8.9),
    "c2": (7.5, 8.0),
}


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def _show_page(tmp_path: Path, lines: list[dict[str, Any]], name: str = "run") -> str:
    log = _write(tmp_path / f"{name}.jsonl", lines)
    page = tmp_path / f"{name}.html"
    assert main(["show", lines[0]["run_id"][:8], str(log), "--html", str(page), "--json"]) == 0
    return page.as_uri()


_BARS = """JSON.stringify(Array.from(document.querySelectorAll('#waterfall .row')).map((row) => {
  const bar = row.querySelector('.bar'), lane = row.querySelector('.lane');
  const label = row.querySelector('.label');
  const b = bar.getBoundingClientRect(), l = lane.getBoundingClientRect(), r = row.getBoundingClientRect();
  const top = document.getElementById('waterfall').getBoundingClientRect().top;
  return {index: +row.dataset.index, cls: bar.className, left: b.left, width: b.width, top: b.top,
          height: b.height, laneLeft: l.left, laneWidth: l.width, barTop: b.top - top, rowTop: r.top - top,
          labelColor: getComputedStyle(label).color, outline: getComputedStyle(bar).outlineStyle};
}))"""
_SPANS = "JSON.stringify(JSON.parse(document.getElementById('data').textContent).view.spans)"


def _bars(tab: Tab) -> list[dict[str, Any]]:
    """Every bar's box, its lane's box and its span's data, in row order."""
    bars: list[dict[str, Any]] = orjson.loads(tab.evaluate(_BARS))
    spans = orjson.loads(tab.evaluate(_SPANS))
    for bar in bars:
        bar["span"] = spans[bar["index"]]
    return bars


@pytest.fixture(scope="module")
def incident_tab(browser: Chromium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """`show --html` of the incident, open in the browser."""
    tab = browser.open(_show_page(tmp_path_factory.mktemp("incident"), _incident()))
    yield tab
    tab.close()


def test_the_run_view_draws_one_row_per_span_in_tree_order(incident_tab: Tab) -> None:
    """Run, steps, the LLM call, tool calls and the child run's spans: one row each, parents first."""
    bars = _bars(incident_tab)
    assert [bar["span"]["span_id"] for bar in bars] == ["r0", "s1", "l1", "s2", "t1", "s3", "c0", "c1", "c2"]
    assert [bar["span"]["depth"] for bar in bars] == [0, 1, 2, 1, 2, 1, 2, 3, 4]


def test_every_bar_sits_at_its_spans_start_and_lasts_its_duration(incident_tab: Tab) -> None:
    """On the 10-second axis, a bar's left edge is its start and its width its duration (within 1 px)."""
    for bar in _bars(incident_tab):
        start, end = EXPECTED[bar["span"]["span_id"]]
        scale = bar["laneWidth"] / 10.0
        assert abs(bar["left"] - (bar["laneLeft"] + start * scale)) < 1, bar["span"]["span_id"]
        assert abs(bar["width"] - (end - start) * scale) < 1, bar["span"]["span_id"]


def test_every_bar_is_inside_its_parents_range(incident_tab: Tab) -> None:
    """A child's bar starts no earlier and ends no later than its parent's (within half a pixel)."""
    bars = _bars(incident_tab)
    by_index = {bar["index"]: bar for bar in bars}
    for bar in bars:
        parent = by_index.get(bar["span"]["parent"])
        if parent is None:
            continue
        assert bar["left"] >= parent["left"] - 0.5
        assert bar["left"] + bar["width"] <= parent["left"] + parent["width"] + 0.5


def test_the_axis_ticks_are_on_the_same_scale_as_the_bars(incident_tab: Tab) -> None:
    """Ticks every 2 s from 0 to 10 s, each where a span starting then would start; the last unlabelled."""
    ticks = orjson.loads(
        incident_tab.evaluate(
            "JSON.stringify(Array.from(document.querySelectorAll('#axis .tick')).map((t) =>"
            " [+t.dataset.t, t.textContent, t.getBoundingClientRect().left]))"
        )
    )
    bars = _bars(incident_tab)
    lane_left, lane_width = bars[0]["laneLeft"], bars[0]["laneWidth"]
    assert [(t, label) for t, label, _ in ticks] == [
        (0, "0.0 s"), (2, "2.0 s"), (4, "4.0 s"), (6, "6.0 s"), (8, "8.0 s"), (10, "")
    ]  # fmt: skip
    for t, _, left in ticks:
        assert abs(left - (lane_left + lane_width * t / 10)) < 1


def test_durations_are_written_beside_each_span(incident_tab: Tab) -> None:
    """Each row shows its span's duration."""
    durations = incident_tab.evaluate(
        "Array.from(document.querySelectorAll('#waterfall .row .dur')).map((d) => d.textContent)"
    )
    assert durations == [
        "10.000 s", "1.600 s", "1.200 s", "3.700 s", "3.000 s", "2.700 s", "2.000 s", "1.800 s", "500.0 ms"
    ]  # fmt: skip


def test_the_failing_span_is_outlined_and_red(incident_tab: Tab) -> None:
    """Only the failing tool call's bar has the failed class, an outline, and a red label."""
    bars = _bars(incident_tab)
    failed = [bar for bar in bars if "failed" in bar["cls"].split()]
    assert [bar["span"]["span_id"] for bar in failed] == ["t1"]
    assert failed[0]["outline"] == "solid"
    assert failed[0]["labelColor"] == "rgb(200, 30, 30)"
    box = incident_tab.evaluate("document.getElementById('failure').textContent")
    assert box.startswith("Failed at: step 2 › tool fetch [c1] › TimeoutError: slow")


def test_the_failing_bar_is_where_it_would_be_without_the_failure(
    browser: Chromium, incident_tab: Tab, tmp_path: Path
) -> None:
    """Marking the failure moves nothing: every bar has the same box as in the same run that did not fail."""
    tab = browser.open(_show_page(tmp_path, _incident(failing=False), "ok"))
    try:
        calm = _bars(tab)
    finally:
        tab.close()
    marked = _bars(incident_tab)
    assert not any("failed" in bar["cls"].split() for bar in calm)
    for before, after in zip(calm, marked, strict=True):
        for key in ("left", "width", "height", "laneLeft", "laneWidth", "barTop", "rowTop"):
            assert abs(before[key] - after[key]) < 0.01, (before["span"]["span_id"], key)


def test_the_detail_panel_opens_on_the_failure(incident_tab: Tab) -> None:
    """At first the panel shows the failing call: error, stack as written, the log line inside it."""
    text = incident_tab.evaluate("document.getElementById('detail').innerText")
    assert text.startswith("tool fetch")
    assert "TimeoutError: slow" in text
    assert 'Traceback (most recent call last):\n  File "t.py", line 3\nTimeoutError:' in text
    assert "Log lines (1)" in text and "+3.100s  info  http: GET /orders" in text
    assert "value=v" in text


def test_clicking_a_bar_shows_that_spans_fields(incident_tab: Tab) -> None:
    """A real click on the LLM call's bar shows its model, tokens and duration in the panel."""
    bar = next(bar for bar in _bars(incident_tab) if bar["span"]["span_id"] == "l1")
    incident_tab.click(bar["left"] + bar["width"] / 2, bar["top"] + bar["height"] / 2)
    text = incident_tab.evaluate("document.getElementById('detail').innerText")
    assert text.startswith("llm gpt-4o (openai)")
    assert "duration\t1.200 s" in text or "duration\n1.200 s" in text
    assert "input_tokens" in text and "Log lines (0)" in text
    selected = incident_tab.evaluate("document.querySelector('.row.selected').dataset.index")
    assert selected == str(bar["index"])


def test_child_runs_are_listed_and_select_their_span(incident_tab: Tab) -> None:
    """The child run is in the child-runs table; clicking it selects its span in the waterfall."""
    cells = incident_tab.evaluate(
        "Array.from(document.querySelectorAll('#child-runs tbody tr td')).map((c) => c.textContent)"
    )
    assert cells[:4] == [CHILD, "ok", "completed", "2.000 s"]
    incident_tab.evaluate("document.querySelector('#child-runs tbody tr').click()")
    text = incident_tab.evaluate("document.getElementById('detail').innerText")
    assert text.startswith(f"run {CHILD}")


def test_the_run_header_has_its_metadata(incident_tab: Tab) -> None:
    """The header shows the run's metadata, top-level and clashing, and its user and session."""
    text = incident_tab.evaluate("document.querySelector('.run-head').innerText")
    assert "prompt_version\nv7" in text.replace("\t", "\n") and "service\nbilling" in text.replace("\t", "\n")
    assert "sess-1" in text and "u-1" in text


def test_the_view_of_a_killed_run_says_unfinished(browser: Chromium, tmp_path: Path) -> None:
    """A run with no run_finished line: `unfinished` in the header, no stop reason yet, a ≥ duration."""
    killed = [line for line in _other_runs() if line["run_id"] == KILLED]
    tab = browser.open(_show_page(tmp_path, killed, "killed"))
    try:
        status = tab.evaluate("document.querySelector('.run-head h1 span').textContent")
        fields = tab.evaluate("document.querySelector('.run-head dl').innerText").replace("\t", "\n")
    finally:
        tab.close()
    assert status == "unfinished"
    assert "stop reason\nnone, the run is unfinished (no run_finished line" in fields
    assert "duration\n≥500.0 ms" in fields


# -- hostile values --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_tab(browser: Chromium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """The incident with markup, a comment opener, bidi marks and ANSI escapes in its values."""
    tab = browser.open(_show_page(tmp_path_factory.mktemp("hostile"), _incident(hostile=HOSTILE)))
    yield tab
    tab.close()


def test_hostile_values_neither_break_the_page_nor_run(hostile_tab: Tab) -> None:
    """`</script><script>`, `<!--` and `<img onerror>` in values: nothing runs, no element is added."""
    assert hostile_tab.evaluate("window.__pwned === undefined")
    assert hostile_tab.evaluate("document.scripts.length") == 2
    assert hostile_tab.evaluate("document.querySelectorAll('img').length") == 0
    assert hostile_tab.evaluate("document.querySelectorAll('#waterfall .row').length") == 9


def test_hostile_values_are_shown_as_text(hostile_tab: Tab) -> None:
    """The markup is there to read, literally, in the error, the stack, the log line and the metadata."""
    text = hostile_tab.evaluate("document.body.innerText")
    assert "slow <!-- </script><script>window.__pwned=1</script><img src=x" in text
    assert "TimeoutError: <!-- </script>" in text  # the stack's last line
    assert "value=v<!-- </script>" in text
    assert "v7<!-- </script>" in text


def test_bidi_marks_and_ansi_escapes_are_shown_escaped(hostile_tab: Tab) -> None:
    """U+202E, U+061C, ESC, BEL and U+2028 never reach the page as characters: they are written as escapes."""
    text = hostile_tab.evaluate("document.getElementById('app').textContent")
    for raw in ("\u202e", "\u061c", "\x1b", "\x07", "\u2028"):
        assert raw not in text
    assert "\\u202eevil\\u061c \\x1b[2J\\x1b[31mred\\x07 & &amp; \\u2028" in text
    label = hostile_tab.evaluate("document.querySelector('.row[data-index=\"4\"] .label').textContent")
    assert label.startswith("toolfetch<!-- </script><script>window.__pwned=1</script><img src=x")
    assert "\u202e" not in label and "\\u202eevil\\u061c" in label


# -- deep trees ------------------------------------------------------------------------------------


def test_a_chain_of_2000_child_runs_is_drawn(browser: Chromium, tmp_path: Path) -> None:
    """A run whose child runs nest 2000 deep: 4000 rows, the deepest bar inside its parent's."""
    ids = [f"{index:08x}-0000-4000-8000-000000000000" for index in range(2000)]
    lines = []
    for index, run_id in enumerate(ids):
        parent = {"parent_run_id": ids[index - 1], "parent_span_id": f"s{index - 1}"} if index else {}
        lines.append(_line("run_started", index * 0.001, run_id, span_id=f"r{index}", **parent))
        lines.append(
            _line("agent_step", index * 0.001, run_id, span_id=f"s{index}", parent_span_id=f"r{index}")
        )
        lines.append(_line("step_finished", 59 - index * 0.001, run_id, span_id=f"s{index}", status="ok"))
        lines.append(_line("run_finished", 59 - index * 0.001, run_id, span_id=f"r{index}", status="ok"))
    log = _write(tmp_path / "deep.jsonl", lines)
    page = tmp_path / "deep.html"
    assert main(["show", ids[0][:8], str(log), "--html", str(page), "--json"]) == 0
    tab = browser.open(page.as_uri())
    try:
        assert tab.evaluate("document.querySelectorAll('#waterfall .row').length") == 4000
        last_two = orjson.loads(
            tab.evaluate(
                "JSON.stringify(Array.from(document.querySelectorAll('#waterfall .bar')).slice(-2)"
                ".map((b) => [b.getBoundingClientRect().left, b.getBoundingClientRect().right]))"
            )
        )
        (parent_left, parent_right), (left, right) = last_two
        assert parent_left - 0.5 <= left and right <= parent_right + 0.5
        label = tab.evaluate("document.querySelectorAll('#waterfall .row .label')[3999].textContent")
        assert label.startswith("⋯3999step")
    finally:
        tab.close()


# -- the report ------------------------------------------------------------------------------------


def _other_runs() -> list[dict[str, Any]]:
    """An ok run, a run that recovered from a failing tool, and a killed one (no run_finished)."""
    return [
        _line("run_started", 20, OK_RUN, span_id="o0", user_id="u-2", session_id="sess-2", service="search",
              prompt_version="v8"),
        _line("tool_call", 20.01, OK_RUN, span_id="o1", parent_span_id="o0", tool="search",
              tool_call_id="x"),
        _line("tool_result", 20.02, OK_RUN, span_id="o1", parent_span_id="o0", tool="search",
              tool_call_id="x", status="ok", latency_ms=10),
        _line("run_finished", 20.05, OK_RUN, span_id="o0", status="ok", stop_reason="completed",
              total_latency_ms=50, tool_calls=1, input_tokens=5, output_tokens=1, cost_usd=1234.5),
        _line("run_started", 30, RECOVERED, span_id="v0", user_id="u-3", service="agent"),
        _line("tool_call", 30.1, RECOVERED, span_id="v1", parent_span_id="v0", tool="fetch",
              tool_call_id="y"),
        _line("tool_result", 30.2, RECOVERED, span_id="v1", parent_span_id="v0", tool="fetch",
              tool_call_id="y", status="error", latency_ms=100, error_class="ValueError",
              error_message="bad"),
        _line("llm_result", 30.5, RECOVERED, span_id="v2", parent_span_id="v0", model="gpt-4o-mini",
              provider="openai", latency_ms=250, status="error"),
        _line("run_finished", 31, RECOVERED, span_id="v0", status="ok", stop_reason="completed",
              total_latency_ms=1000, tool_calls=1, errors=1, cost_usd=0.0010034),
        _line("run_started", 40, KILLED, span_id="k0", user_id="u-4", service="agent"),
        _line("agent_step", 40.5, KILLED, span_id="k1", parent_span_id="k0", step_id=1, step_type="plan"),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def report_tab(browser: Chromium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """`agentlog report` of the incident and three other runs, open in the browser."""
    folder = tmp_path_factory.mktemp("report")
    log = _write(folder / "agent.jsonl", _incident(hostile=HOSTILE) + _other_runs())
    page = folder / "report.html"
    assert main(["report", str(log), "-o", str(page)]) == 0
    tab = browser.open(page.as_uri())
    yield tab
    tab.close()


_ROWS = "Array.from(document.querySelectorAll('#runs tbody tr')).map((row) => row.dataset.runId)"


def _filter(tab: Tab, **values: Any) -> list[str]:
    """Set the filter controls (the others back to empty) and return the run IDs listed, in order."""
    script = """(() => {
      const values = %s;
      for (const control of document.querySelectorAll('#filters input, #filters select')) {
        if (control.type === 'checkbox') control.checked = Boolean(values[control.name]);
        else control.value = values[control.name] === undefined ? '' : String(values[control.name]);
      }
      document.getElementById('filters').dispatchEvent(new Event('input', {bubbles: true}));
      return %s;
    })()""" % (orjson.dumps(values).decode(), _ROWS)  # noqa: UP031 (braces of the script)
    result: list[str] = tab.evaluate(script)
    return result


def test_the_report_lists_every_run_newest_first(report_tab: Tab) -> None:
    """One row per run, child runs too, newest first; the count says how many."""
    assert _filter(report_tab) == [KILLED, RECOVERED, OK_RUN, CHILD, RUN]
    assert report_tab.evaluate("document.getElementById('runs-count').textContent") == "5 of 5 runs"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"status": "error"}, [RUN]),
        ({"status": "unfinished"}, [KILLED]),
        ({"status": "ok"}, [RECOVERED, OK_RUN, CHILD]),
        ({"failed": True}, [RECOVERED, RUN]),
        ({"user": "u-2"}, [OK_RUN]),
        ({"session": "sess-1"}, [RUN]),
        ({"service": "search"}, [OK_RUN]),
        ({"tool": "search"}, [OK_RUN, CHILD]),
        ({"error_class": "TimeoutError"}, [RUN]),
        ({"meta": "prompt_version=v8"}, [OK_RUN]),
        ({"meta": "service=billing"}, [RUN]),
        ({"min_duration": 900}, [RECOVERED, CHILD, RUN]),
        ({"failed": True, "user": "u-3"}, [RECOVERED]),
    ],
    ids=lambda value: orjson.dumps(value).decode() if isinstance(value, dict) else "",
)
def test_the_report_filters_runs(report_tab: Tab, values: dict[str, Any], expected: list[str]) -> None:
    """Each filter control keeps the runs `agentlog runs` would keep with the same option."""
    assert _filter(report_tab, **values) == expected


def test_the_report_gives_a_killed_runs_duration_as_at_least_what_its_lines_cover(report_tab: Tab) -> None:
    """The killed run's row says unfinished and ≥ its lines' 500 ms, as `agentlog runs` writes it."""
    _filter(report_tab)
    row = f'#runs tr[data-run-id="{KILLED}"] td'
    cells = report_tab.evaluate(f"Array.from(document.querySelectorAll('{row}')).map((td) => td.textContent)")
    assert "unfinished" in cells and "≥500.0 ms" in cells


def test_the_report_sorts_by_a_column(report_tab: Tab) -> None:
    """Clicking 'duration' sorts longest first, clicking again shortest first; the filters still apply."""
    _filter(report_tab, status="ok")
    header = "Array.from(document.querySelectorAll('#runs th')).find((th) => th.textContent === 'duration')"
    report_tab.evaluate(f"{header}.click()")
    assert report_tab.evaluate(_ROWS) == [CHILD, RECOVERED, OK_RUN]
    report_tab.evaluate(f"{header}.click()")
    assert report_tab.evaluate(_ROWS) == [OK_RUN, RECOVERED, CHILD]
    first = "Array.from(document.querySelectorAll('#runs th')).find((th) => th.textContent === 'started')"
    report_tab.evaluate(f"{first}.click()")
    assert report_tab.evaluate(_ROWS) == [RECOVERED, OK_RUN, CHILD]


def test_the_report_shows_and_sorts_each_runs_cost(report_tab: Tab) -> None:
    """The cost column prints as `agentlog` does; sorting puts the costliest first and unknown costs last."""
    _filter(report_tab)
    cells = '(id) => document.querySelector(`#runs tr[data-run-id="${id}"] td:nth-child(11)`).textContent'
    costs = report_tab.evaluate(f"[{orjson.dumps([OK_RUN, RECOVERED, KILLED]).decode()}].flat().map({cells})")
    assert costs == ["$1,234.50", "$0.001003", ""]
    header = "Array.from(document.querySelectorAll('#runs th')).find((th) => th.textContent === '%s')"
    report_tab.evaluate(f"{header % 'cost'}.click()")
    assert report_tab.evaluate(_ROWS)[:2] == [OK_RUN, RECOVERED]
    report_tab.evaluate(f"{header % 'started'}.click()")  # back to newest first for the tests after


def test_clicking_a_run_opens_its_view(report_tab: Tab) -> None:
    """A click on the failing run's row shows the run view, the failure outlined, the panel on it."""
    _filter(report_tab)
    report_tab.evaluate(f"document.querySelector('#runs tr[data-run-id=\"{RUN}\"]').click()")
    report_tab.evaluate("new Promise((done) => setTimeout(done, 50))")
    assert report_tab.evaluate("location.hash") == f"#run={RUN}"
    assert not report_tab.evaluate("document.getElementById('section-run').classList.contains('hidden')")
    assert report_tab.evaluate("document.querySelectorAll('#section-run .row').length") == 9
    assert report_tab.evaluate("document.querySelectorAll('#section-run .bar.failed').length") == 1
    assert report_tab.evaluate("document.getElementById('detail').innerText").startswith("tool fetch")


def test_a_child_runs_row_opens_its_parents_view_on_it(report_tab: Tab) -> None:
    """The child run has no page of its own: its top run's view opens, its span selected."""
    report_tab.evaluate(f"location.hash = '#run={CHILD}'")
    report_tab.evaluate("new Promise((done) => setTimeout(done, 50))")
    assert report_tab.evaluate("document.querySelector('#section-run h1').textContent").startswith(
        f"Run {RUN}"
    )
    assert report_tab.evaluate("document.getElementById('detail').innerText").startswith(f"run {CHILD}")


def test_the_report_page_is_inert_too(report_tab: Tab) -> None:
    """The hostile values in the report's data run nothing and are shown escaped."""
    assert report_tab.evaluate("window.__pwned === undefined")
    assert report_tab.evaluate("document.scripts.length") == 2
    text = report_tab.evaluate("document.getElementById('app').textContent")
    assert "\\u202eevil" in text and "\u202e" not in text and "\x1b" not in text


def test_the_report_draws_charts_as_inline_svg(report_tab: Tab) -> None:
    """Calls, error rate and latency per tool and model, and tokens over time, each an SVG; bars scale."""
    report_tab.evaluate("location.hash = '#charts'")
    report_tab.evaluate("new Promise((done) => setTimeout(done, 50))")
    charts = report_tab.evaluate(
        "Array.from(document.querySelectorAll('#charts .chart')).map((c) => c.dataset.chart)"
    )
    assert {"tool-calls", "tool-errors", "tool-latency", "model-calls", "model-latency", "tokens"} <= set(
        charts
    )
    calls = orjson.loads(
        report_tab.evaluate(
            "JSON.stringify(Array.from(document.querySelectorAll('[data-chart=\"tool-calls\"] rect'))"
            ".map((r) => [r.textContent, r.getBBox().width]))"
        )
    )
    widths = {label.split(" · ")[0]: width for label, width in calls}
    assert widths["search"] > 0 and abs(widths["fetch"] - widths["search"] / 2) < 0.01  # 1 call and 2 calls
    rates = report_tab.evaluate(
        "Array.from(document.querySelectorAll('[data-chart=\"tool-errors\"] text')).map((t) => t.textContent)"
    )
    assert "100.0%" in rates and "0.0%" in rates


def _chart_tips(tab: Tab, chart: str) -> list[str]:
    """The tooltips of a chart's bars ("label · series: value"), in drawing order."""
    titles = f'[data-chart="{chart}"] rect title'
    tips: list[str] = tab.evaluate(
        f"Array.from(document.querySelectorAll('{titles}')).map((t) => t.textContent)"
    )
    return tips


def test_the_report_charts_each_models_error_rate(report_tab: Tab) -> None:
    """Per model, the error rate `stats` computes is drawn: the failing LLM call's model at 100%."""
    report_tab.evaluate("location.hash = '#charts'")
    report_tab.evaluate("new Promise((done) => setTimeout(done, 50))")
    assert sorted(_chart_tips(report_tab, "model-errors")) == [
        "gpt-4o · error rate: 0.0%",
        "gpt-4o-mini · error rate: 100.0%",
    ]


def test_the_report_charts_each_models_p99_latency(report_tab: Tab) -> None:
    """The model latency chart has a p99 bar per model beside p50 and p95, and says so in its title."""
    report_tab.evaluate("location.hash = '#charts'")
    report_tab.evaluate("new Promise((done) => setTimeout(done, 50))")
    title = report_tab.evaluate("document.querySelector('[data-chart=\"model-latency\"] h3').textContent")
    assert title == "Latency per model (p50, p95, p99)"
    tips = _chart_tips(report_tab, "model-latency")
    assert [tip for tip in tips if " · p99: " in tip] == [
        "gpt-4o · p99: 1.200 s",
        "gpt-4o-mini · p99: 250.0 ms",
    ]
