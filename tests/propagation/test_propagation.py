"""W3C propagation: traceparent, tracestate and baggage, to the letter; hostile headers."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog.propagation import RemoteParent, extract, headers, inject, subprocess_env

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{SPAN}-01"
RUN = "6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10"


@pytest.mark.parametrize(
    "value",
    [
        VALID,
        f"  {VALID}\t",
        f"00-{TRACE}-{SPAN}-00",
        f"01-{TRACE}-{SPAN}-01",
        f"cc-{TRACE}-{SPAN}-01-what-the-future-will-be-like",
        f"01-{TRACE}-{SPAN}-09",
    ],
)
def test_valid_traceparent_is_continued(value: str) -> None:
    """Valid values (whitespace around them, higher versions by position) are read."""
    parent = extract({"traceparent": value})
    assert parent is not None
    assert (parent.trace_id, parent.span_id) == (TRACE, SPAN)


INVALID = [
    "",
    "garbage",
    f"00-{TRACE.upper()}-{SPAN}-01",
    f"00-{TRACE}-{SPAN.upper()}-01",
    f"00-{'0' * 32}-{SPAN}-01",
    f"00-{TRACE}-{'0' * 16}-01",
    f"ff-{TRACE}-{SPAN}-01",
    f"00-{TRACE}-{SPAN}-01-extra",
    f"00-{TRACE}-{SPAN}-0",
    f"00-{TRACE}-{SPAN}-xx",
    f"0-{TRACE}-{SPAN}-01",
    f"00_{TRACE}_{SPAN}_01",
    f"00-{TRACE[:-1]}g-{SPAN}-01",
    f"cc-{TRACE}-{SPAN}-01.what-the-future",
    f"00-{TRACE}-{SPAN}-01\r\nX-Injected: yes",
    f"00-{TRACE}\n-{SPAN}-01",
    f"00-{TRACE[:-2]}é-{SPAN}-01",
    "00-" + "a" * 10_000,
    f"GG-{TRACE}-{SPAN}-01",
]


@pytest.mark.parametrize("value", INVALID)
def test_invalid_traceparent_starts_a_fresh_trace(value: str) -> None:
    """Each invalid value gives None, and a run given it starts a fresh trace."""
    assert extract({"traceparent": value}) is None
    out = io.BytesIO()
    agentlog.configure(output=out)
    with agentlog.run(parent=extract({"traceparent": value, "baggage": f"agentlog.run_id={RUN}"})) as run:
        pass
    started = orjson.loads(out.getvalue().splitlines()[0])
    assert started["trace_id"] == run.trace_id != TRACE
    assert "parent_run_id" not in started
    assert not value or value not in out.getvalue().decode()


def test_header_names_match_case_insensitively() -> None:
    """Traceparent, TRACEPARENT, HTTP_TRACEPARENT (WSGI) and byte pairs (ASGI) all work."""
    for carrier in (
        {"Traceparent": VALID},
        {"TRACEPARENT": VALID},
        {"HTTP_TRACEPARENT": VALID, "HTTP_X_RUN_ID": RUN},
        [(b"traceparent", VALID.encode()), (b"x-run-id", RUN.encode())],
    ):
        parent = extract(carrier)
        assert parent is not None
        assert parent.trace_id == TRACE


def test_two_different_traceparents_are_invalid() -> None:
    """Two traceparent headers (in different cases, or as a list) are ambiguous: None."""
    other = f"00-{'1' * 32}-{SPAN}-01"
    assert extract({"traceparent": VALID, "Traceparent": other}) is None
    assert extract({"traceparent": [VALID, other]}) is None


def test_carriers_that_are_not_carriers_give_none() -> None:
    """None, numbers, strings and broken mappings never raise."""

    class Broken:
        def items(self) -> Any:
            raise RuntimeError("broken carrier")

    for carrier in (None, 42, "traceparent", Broken(), [("only-one",)], {1: 2}):
        assert extract(carrier) is None


def test_inject_writes_the_current_span_as_parent() -> None:
    """Traceparent names the current span; X-Run-Id and baggage carry the run."""
    with (
        agentlog.run(session_id="conv-1", request_id="req-9") as run,
        agentlog.tool_call("fetch", {}) as call,
    ):
        carrier = inject({"Accept": "application/json"})
    assert carrier["traceparent"] == f"00-{run.trace_id}-{call.span_id}-01"
    assert carrier["X-Run-Id"] == run.run_id
    assert carrier["Accept"] == "application/json"
    members = dict(m.split("=", 1) for m in carrier["baggage"].split(","))
    assert members == {
        "agentlog.run_id": run.run_id,
        "agentlog.session_id": "conv-1",
        "agentlog.request_id": "req-9",
    }


def test_inject_returns_the_same_object_and_replaces_other_cases() -> None:
    """The carrier is modified in place; an old Traceparent in another case is replaced."""
    carrier = {"Traceparent": "stale", "BAGGAGE": "stale=1"}
    with agentlog.run():
        returned = inject(carrier)
    assert returned is carrier
    assert "Traceparent" not in carrier
    assert "BAGGAGE" not in carrier
    assert extract(carrier) is not None


def test_inject_outside_a_run_writes_nothing() -> None:
    """Outside a run there is nothing to propagate."""
    assert inject({}) == {}
    assert headers() == {}


def test_user_id_travels_only_when_allowed() -> None:
    """User IDs are PII: not in baggage unless allow-listed."""
    with agentlog.run(user_id="alice@example.com"):
        plain = headers()
        allowed = headers(allow=["user_id"])
    assert "alice" not in plain["baggage"]
    parent = extract(allowed)
    assert parent is not None
    assert parent.user_id == "alice@example.com"


def test_round_trip_makes_a_child_run() -> None:
    """extract(inject()) continues the trace: parent_run_id and parent span set."""
    out = io.BytesIO()
    agentlog.configure(output=out)
    with agentlog.run(session_id="s-1") as caller, agentlog.step("delegate") as step:
        carrier: dict[str, str] = inject({})
    with agentlog.run(parent=extract(carrier)) as callee:
        pass
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]
    started = next(x for x in lines if x["event"] == "run_started" and x["run_id"] == callee.run_id)
    assert started["trace_id"] == caller.trace_id
    assert started["parent_run_id"] == caller.run_id
    assert started["parent_span_id"] == step.span_id
    assert started["session_id"] == "s-1"


def test_tracestate_is_passed_through() -> None:
    """A valid tracestate received is sent on unchanged by the child run."""
    carrier = {"traceparent": VALID, "tracestate": "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"}
    with agentlog.run(parent=extract(carrier)):
        sent = headers()
    assert sent["tracestate"] == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"
    assert sent["traceparent"].startswith(f"00-{TRACE}-")


@pytest.mark.parametrize(
    "tracestate",
    ["UPPER=1", "a=1,a=2", "key=va=lue", "k=" + "x" * 300, "=nokey", "k=\x01ctl"],
)
def test_invalid_tracestate_is_dropped(tracestate: str) -> None:
    """An invalid tracestate is dropped whole; the traceparent still counts."""
    parent = extract({"traceparent": VALID, "tracestate": tracestate})
    assert parent is not None
    assert parent.tracestate is None


def test_tracestate_keeps_at_most_32_members() -> None:
    """Members beyond 32 are dropped from the right."""
    parent = extract({"traceparent": VALID, "tracestate": ",".join(f"k{i}=v" for i in range(40))})
    assert parent is not None and parent.tracestate is not None
    assert parent.tracestate.split(",") == [f"k{i}=v" for i in range(32)]


def test_baggage_values_are_percent_encoded_and_decoded() -> None:
    """Spaces, commas, semicolons, quotes and non-ASCII survive the round trip."""
    value = 'conv 1, part;2 "q" 100% ünïcode'
    with agentlog.run(session_id=value):
        sent = headers()
    assert " " not in sent["baggage"]
    assert "ü" not in sent["baggage"]
    parent = extract(sent)
    assert parent is not None and parent.session_id == value


def test_foreign_baggage_is_passed_through_and_invalid_members_skipped() -> None:
    """Other systems' members travel on; malformed ones are skipped."""
    carrier = {
        "traceparent": VALID,
        "baggage": "tenant=acme;prop=1, bad member, =novalue, agentlog.run_id=" + RUN + ",region=eu%20west",
    }
    parent = extract(carrier)
    assert parent is not None
    assert parent.run_id == RUN
    assert parent.baggage == ("tenant=acme;prop=1", "region=eu%20west")
    with agentlog.run(parent=parent):
        sent = headers()["baggage"].split(",")
    assert "tenant=acme;prop=1" in sent
    assert "region=eu%20west" in sent


def test_baggage_limits_keep_whole_members_only() -> None:
    """At most 64 members and 8192 bytes are read and sent; no member is cut."""
    many = ",".join(f"k{i}=v{i}" for i in range(100))
    parent = extract({"traceparent": VALID, "baggage": many})
    assert parent is not None
    assert len(parent.baggage) == 64
    big = ",".join(f"k{i}={'x' * 1000}" for i in range(20))
    parent = extract({"traceparent": VALID, "baggage": big})
    assert parent is not None
    assert set(parent.baggage) <= set(big.split(","))  # whole members only
    assert len(",".join(parent.baggage).encode()) <= 8192
    with agentlog.run(parent=parent):
        sent = headers()["baggage"]
    assert len(sent.encode()) <= 8192
    assert sent.split(",")[0].startswith("agentlog.run_id=")


def test_run_ids_from_headers_must_be_uuids() -> None:
    """A forged X-Run-Id that is not a UUID is ignored, not echoed."""
    for forged in ("../../etc/passwd", "x" * 5000, RUN.upper(), f"{RUN}\ninjected"):
        parent = extract({"traceparent": VALID, "X-Run-Id": forged})
        assert parent is not None
        assert parent.run_id is None


def test_ids_from_baggage_are_cleaned() -> None:
    """Control characters are removed and lengths bounded before anything is logged."""
    carrier = {"traceparent": VALID, "baggage": "agentlog.session_id=a%0Ab%1B%5B31m" + "c" * 1000}
    parent = extract(carrier)
    assert parent is not None and parent.session_id is not None
    assert "\n" not in parent.session_id and "\x1b" not in parent.session_id
    assert len(parent.session_id) <= 256


@pytest.mark.parametrize(
    "carrier",
    [
        {"traceparent": VALID, "baggage": "k=" + "v" * 1_000_000},
        {"traceparent": VALID, "baggage": ",".join(["a=b"] * 100_000)},
        {"traceparent": VALID, "tracestate": "k=v," * 100_000},
        {"traceparent": "\x00" * 100_000},
        {"traceparent": VALID, "baggage": "\u202e\u0000\r\n=\ud800"},
        {"traceparent": VALID, "x-run-id": "\x1b[2J" * 1000},
    ],
)
def test_hostile_headers_never_raise(carrier: dict[str, str]) -> None:
    """Oversized, control-character and non-ASCII headers: a result, never an exception."""
    parent = extract(carrier)
    assert parent is None or isinstance(parent, RemoteParent)


def test_subprocess_env_carries_the_run() -> None:
    """subprocess_env adds TRACEPARENT/BAGGAGE to a copy; the parent env is untouched."""
    base = {"PATH": "/bin", "TRACEPARENT": "stale"}
    with agentlog.run() as run:
        env = subprocess_env(base)
    assert base["TRACEPARENT"] == "stale"
    assert env["PATH"] == "/bin"
    parent = extract(env)
    assert parent is not None
    assert (parent.trace_id, parent.run_id) == (run.trace_id, run.run_id)
    assert "X-Run-Id" not in env


ids = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc")), max_size=80
)


@settings(max_examples=200, deadline=None)
@given(session=ids, request=ids, extra_value=ids)
def test_inject_extract_round_trip(session: str, request: str, extra_value: str) -> None:
    """Property: whatever the IDs, extract(inject()) gives back the same context."""
    with agentlog.run(session_id=session or None, request_id=request or None) as run:
        carrier: dict[str, str] = inject({}, baggage={"note": extra_value})
        ctx = agentlog.current()
    parent = extract(carrier)
    assert ctx is not None and parent is not None
    assert (parent.trace_id, parent.span_id, parent.run_id) == (run.trace_id, ctx.span_id, run.run_id)
    assert parent.session_id == ((session.strip() or None) if session else None)
    assert parent.request_id == ((request.strip() or None) if request else None)
