"""W3C propagation: traceparent, tracestate and baggage, to the letter; hostile headers."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import propagation
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
    assert "agentlog.user_id=alice@example.com" in allowed["baggage"].split(",")


def test_an_inbound_user_id_never_becomes_the_runs() -> None:
    """Even one sent by an agentlog caller that allowed it: the callee's run has no user, counted."""
    with agentlog.run(user_id="alice@example.com"):
        allowed = headers(allow=["user_id"])
    parent = extract(allowed)
    assert parent is not None and parent.user_id is None
    out = io.BytesIO()
    agentlog.configure(output=out)
    with agentlog.run(parent=parent):
        inside = agentlog.current()
        forwarded = headers(allow=["user_id"])
    assert inside is not None and inside.user_id is None
    assert "alice" not in out.getvalue().decode()
    assert "alice" not in str(forwarded)  # not passed on as a foreign member either
    assert agentlog.problems()["inbound agentlog.user_id ignored: a carrier never sets the user"] == 1


def test_the_servers_own_user_id_wins() -> None:
    """Identity comes from the server's code: run(parent=extract(h), user_id=...) sets it."""
    parent = extract({"traceparent": VALID, "baggage": "agentlog.user_id=admin"})
    with agentlog.run(parent=parent, user_id="u-authenticated"):
        inside = agentlog.current()
    assert inside is not None and inside.user_id == "u-authenticated"


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
    ["UPPER=1", "key=va=lue", "k=" + "x" * 300, "=nokey", "k=\x01ctl", "ok=1,@bad=2"],
)
def test_invalid_tracestate_is_dropped(tracestate: str) -> None:
    """An invalid tracestate is dropped whole; the traceparent still counts."""
    parent = extract({"traceparent": VALID, "tracestate": tracestate})
    assert parent is not None
    assert parent.tracestate is None


def test_a_repeated_tracestate_key_keeps_its_first_entry() -> None:
    """A duplicated key is de-duplicated (first entry kept), not a reason to drop the header."""
    parent = extract({"traceparent": VALID, "tracestate": ["a=1,b=2", "a=3"]})
    assert parent is not None and parent.tracestate == "a=1,b=2"


def test_tracestate_of_more_than_32_members_is_dropped() -> None:
    """A list holds at most 32 members: 32 are kept, 33 make the header invalid."""
    thirty_two = ",".join(f"k{i}=v" for i in range(32))
    parent = extract({"traceparent": VALID, "tracestate": thirty_two})
    assert parent is not None and parent.tracestate == thirty_two
    parent = extract({"traceparent": VALID, "tracestate": thirty_two + ",k32=v"})
    assert parent is not None and parent.tracestate is None


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


@pytest.mark.parametrize(
    "encoded",
    [
        "a%0Ab",  # a line break
        "a%0D%0Aevent%3Drun_finished",  # a forged line
        "%1B%5B31mred",  # an ANSI escape
        "a%00b",  # NUL
        "a%C2%85b",  # NEL (C1)
        "a%E2%80%A8b",  # LINE SEPARATOR
        "a%E2%80%AEdi.exe",  # RIGHT-TO-LEFT OVERRIDE
        "a%E2%80%8Bb",  # ZERO WIDTH SPACE
        "a%FFb",  # invalid UTF-8
        "%C0%AE%C0%AE",  # overlong encoding
        "c" * 257,  # too long
    ],
)
def test_invalid_inbound_ids_are_dropped_whole_and_counted(encoded: str) -> None:
    """A session or request ID that is too long or holds control/format characters is dropped, not cut."""
    carrier = {
        "traceparent": VALID,
        "baggage": f"agentlog.session_id={encoded},agentlog.request_id={encoded}",
    }
    parent = extract(carrier)
    assert parent is not None
    assert (parent.session_id, parent.request_id) == (None, None)
    assert agentlog.problems()["inbound ID dropped: too long, or control/format characters"] == 2


def test_a_member_beyond_the_baggage_limits_is_dropped_and_counted() -> None:
    """A 100 000-character session ID is beyond the 8192 bytes W3C allows: never read, counted."""
    parent = extract({"traceparent": VALID, "baggage": "agentlog.session_id=" + "c" * 100_000})
    assert parent is not None and parent.session_id is None
    assert agentlog.problems() == {"inbound baggage beyond 64 members or 8192 bytes: the rest dropped": 1}


def test_an_id_of_256_characters_is_kept() -> None:
    """The bound is 256 characters: an ID of exactly that length is accepted as it is."""
    parent = extract({"traceparent": VALID, "baggage": "agentlog.session_id=" + "c" * 256})
    assert parent is not None and parent.session_id == "c" * 256
    assert agentlog.problems() == {}


def test_an_id_given_twice_differently_is_dropped() -> None:
    """Duplicate keys (one header or two) with different values are ambiguous: neither is taken."""
    for carrier in (
        {"traceparent": VALID, "baggage": "agentlog.session_id=mine,agentlog.session_id=theirs"},
        {"traceparent": VALID, "baggage": ["agentlog.session_id=mine", "agentlog.session_id=theirs"]},
    ):
        parent = extract(carrier)
        assert parent is not None and parent.session_id is None
    assert agentlog.problems()["inbound ID dropped: given twice with different values"] == 2


def test_the_same_id_given_twice_is_one_id() -> None:
    """A repeated member with the same value (a proxy joining headers) is not ambiguous."""
    parent = extract({"traceparent": VALID, "baggage": "agentlog.session_id=s,agentlog.session_id=s"})
    assert parent is not None and parent.session_id == "s"


def test_a_run_id_that_disagrees_with_x_run_id_is_dropped() -> None:
    """Baggage and X-Run-Id naming different parent runs: no parent run, counted."""
    other = "11111111-2222-4333-8444-555555555555"
    parent = extract({"traceparent": VALID, "baggage": f"agentlog.run_id={RUN}", "X-Run-Id": other})
    assert parent is not None and parent.run_id is None
    agreeing = extract({"traceparent": VALID, "baggage": f"agentlog.run_id={RUN}", "X-Run-Id": RUN})
    assert agreeing is not None and agreeing.run_id == RUN


def test_unknown_agentlog_members_are_neither_used_nor_passed_on() -> None:
    """agentlog.* members other than the correlation keys are dropped, not forwarded as foreign baggage."""
    parent = extract({"traceparent": VALID, "baggage": "agentlog.role=admin,agentlog.tenant=x,other=1"})
    assert parent is not None
    assert parent.baggage == ("other=1",)


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


# Valid IDs: no control, format, surrogate or separator characters (an inbound one holding them is dropped).
ids = st.text(
    st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    max_size=80,
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


def test_client_span_never_raises_on_hostile_arguments() -> None:
    """A URL or method whose text fails, with OpenTelemetry spans on: the request still gets its span."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    provider = TracerProvider()
    agentlog.configure(output=io.BytesIO(), otel_spans=True, tracer_provider=provider)
    try:
        with agentlog.run() as run:
            carrier: dict[str, str] = {}
            with propagation.client_span(carrier, url=Hostile(), method=Hostile()) as span:
                assert agentlog.current() == span.ctx
            after = agentlog.current()
    finally:
        provider.shutdown()
    assert carrier["traceparent"].startswith(f"00-{run.trace_id}-{span.span_id}-")  # the SDK's flags
    assert after is not None and after.span_id == run.span_id
    assert agentlog.problems() == {}
