"""W3C Trace Context and W3C Baggage conformance, end to end and vector by vector.

The end-to-end tests mirror the cases of the W3C trace-context test harness
(its ``test/test.py``), as our own vectors: a service — an ASGI app behind
`agentlog.integrations.asgi.AgentlogMiddleware`, served by uvicorn on
127.0.0.1 — receives a POST whose JSON body lists ``{"url", "arguments"}``
actions and POSTs ``arguments`` to each ``url`` with an httpx client
instrumented by `agentlog.integrations.httpx`. A recording server stands in
for the harness: it sends the request byte for byte over a socket (repeated
headers, odd casing and whitespace as given) and records the headers of each
call the service makes back.

Versions followed: Trace Context Level 2 (Candidate Recommendation Draft) as
amended by the current editor's draft (Level 3), whose ``tracestate`` key
grammar is ``(lcalpha / DIGIT) 0*255(keychar)`` with ``@`` a key character;
W3C Baggage (Candidate Recommendation). Section numbers are those of the
Trace Context Level 2 document (the same in Level 1 and the editor's draft)
and of the Baggage document.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import agentlog
from agentlog.integrations import httpx as httpx_integration
from agentlog.integrations.asgi import AgentlogMiddleware
from agentlog.propagation import RemoteParent, extract, headers, inject
from agentlog.propagation.w3c import parse_baggage, parse_traceparent, parse_tracestate
from tests.conftest import Captured

TRACE = "12345678901234567890123456789012"
PARENT = "1234567890123456"
VALID = f"00-{TRACE}-{PARENT}-01"
RUN = "6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10"

Header = tuple[str, str]


# -- the service under test and the recording "harness" ---------------------------------------


def _service_app() -> Any:
    """The service: POST each action's arguments to its URL, with an instrumented httpx client."""
    http = httpx_integration.instrument(httpx.AsyncClient(timeout=10, trust_env=False))

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await http.aclose()
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        actions = json.loads(body or b"null") or []
        for action in actions:
            await http.post(action["url"], json=action.get("arguments") or [])
        reply = b"null"
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
        await send(start)
        await send({"type": "http.response.body", "body": reply})

    return app


class _Callbacks(BaseHTTPRequestHandler):
    """The harness side: records the headers of every call the service makes back."""

    calls: dict[str, list[Header]]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.calls[self.path.rsplit("/", 1)[-1]] = list(self.headers.items())
        self.send_response(200)
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"null")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class Harness(NamedTuple):
    """Where the service listens, and where its calls back arrive."""

    service_port: int
    callback_url: str
    calls: dict[str, list[Header]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    uvicorn = pytest.importorskip("uvicorn")
    calls: dict[str, list[Header]] = {}
    recorder = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Callbacks,), {"calls": calls}))
    port = _free_port()
    service = uvicorn.Server(
        uvicorn.Config(AgentlogMiddleware(_service_app()), host="127.0.0.1", port=port, log_level="critical")
    )
    threads = [
        threading.Thread(target=recorder.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
        threading.Thread(target=service.run, daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not service.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield Harness(port, f"http://127.0.0.1:{recorder.server_address[1]}/callback", calls)
    finally:
        service.should_exit = True
        threads[1].join(10)
        recorder.shutdown()
        recorder.server_close()


def _post(harness: Harness, sent: list[Header], count: int = 1) -> list[list[Header]]:
    """POST to the service with exactly these headers; return the headers of its *count* calls back."""
    ids = [uuid.uuid4().hex for _ in range(count)]
    body = json.dumps([{"url": f"{harness.callback_url}/{i}", "arguments": []} for i in ids]).encode()
    request = b"POST /test HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    request += b"Content-Type: application/json\r\nAccept: application/json\r\n"
    request += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in sent)
    request += b"Content-Length: %d\r\n\r\n" % len(body) + body
    with socket.create_connection(("127.0.0.1", harness.service_port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:200]
    return [harness.calls.pop(i) for i in ids]


class Sent(NamedTuple):
    """What the service sent on: its traceparent's IDs and its tracestate's entries."""

    trace_id: str
    parent_id: str
    flags: str
    tracestate: dict[str, str]
    baggage: list[str]


_SENT_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def _sent(call: list[Header]) -> Sent:
    """Read a call back as a strict receiver would: exactly one well-formed traceparent."""
    parents = [value for name, value in call if name.lower() == "traceparent"]
    assert len(parents) == 1, call
    match = _SENT_TRACEPARENT.fullmatch(parents[0])
    assert match is not None, parents[0]
    trace_id, parent_id, flags = match.groups()
    assert trace_id != "0" * 32 and parent_id != "0" * 16
    assert int(flags, 16) & ~0x03 == 0  # only the flags Level 2 defines are ever set
    combined = ",".join(value for name, value in call if name.lower() == "tracestate")
    entries: dict[str, str] = {}
    for member in filter(None, (member.strip(" \t") for member in combined.split(","))):
        key, _, value = member.partition("=")
        assert key not in entries, f"{key} sent twice"
        entries[key] = value
    assert len(entries) <= 32 and len(combined) <= 512
    baggage = [value for name, value in call if name.lower() == "baggage"]
    return Sent(trace_id, parent_id, flags, entries, ",".join(baggage).split(",") if baggage else [])


def _one(harness: Harness, sent: list[Header]) -> Sent:
    return _sent(_post(harness, sent)[0])


def _continued(result: Sent) -> bool:
    return result.trace_id == TRACE


# -- traceparent ------------------------------------------------------------------------------


def test_no_traceparent_starts_a_trace(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §4.2 No traceparent received: a new trace-id and parent-id are sent on."""
    result = _one(harness, [])
    assert not _continued(result)
    assert result.tracestate == {}


def test_a_valid_traceparent_is_continued_with_a_new_parent_id(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.4 Mutating the traceparent field (update parent-id) and §4.3."""
    result = _one(harness, [("traceparent", VALID)])
    assert result.trace_id == TRACE
    assert result.parent_id != PARENT
    # The parent-id sent is the service's client span, logged by httpx under the service's run span.
    started = logs.one("run_started")
    assert (started["trace_id"], started["parent_span_id"]) == (TRACE, PARENT)
    line = next(x for x in logs.lines() if x["event"].startswith("HTTP Request: POST"))
    assert (line["span_id"], line["parent_span_id"]) == (result.parent_id, started["span_id"])


def test_a_repeated_traceparent_restarts_the_trace(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.2.2 traceparent field values: two values are not one; §4.3 restart."""
    result = _one(
        harness,
        [("traceparent", f"00-{TRACE[:-1]}1-{PARENT}-01"), ("traceparent", VALID)],
    )
    assert result.trace_id not in (TRACE, f"{TRACE[:-1]}1")


@pytest.mark.parametrize("name", ["trace-parent", "trace.parent", "trace_parent"])
def test_other_header_names_are_not_traceparent(logs: Captured, harness: Harness, name: str) -> None:
    """Trace Context Level 2, §3.2.1 Header name: ``traceparent``, one word, no delimiter."""
    assert not _continued(_one(harness, [(name, VALID)]))


@pytest.mark.parametrize("name", ["TraceParent", "TrAcEpArEnT", "TRACEPARENT"])
def test_traceparent_name_in_any_case(logs: Captured, harness: Harness, name: str) -> None:
    """Trace Context Level 2, §3.2.1 Header name: vendors MUST expect the name in any case."""
    assert _continued(_one(harness, [(name, VALID)]))


@pytest.mark.parametrize(
    "value",
    [f"{VALID}.", f"{VALID}-what-the-future-will-be-like"],
)
def test_version_00_allows_nothing_after_the_flags(logs: Captured, harness: Harness, value: str) -> None:
    """Trace Context Level 2, §3.2.2.2 version-format: version 00 ends with trace-flags."""
    assert not _continued(_one(harness, [("traceparent", value)]))


@pytest.mark.parametrize(
    ("value", "continued"),
    [
        (f"cc-{TRACE}-{PARENT}-01", True),
        (f"cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like", True),
        (f"cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like", False),
    ],
)
def test_a_higher_version_is_read_by_position(
    logs: Captured, harness: Harness, value: str, continued: bool
) -> None:
    """Trace Context Level 2, §3.2.4 Versioning of traceparent: fields read by position, then a dash."""
    result = _one(harness, [("traceparent", value)])
    assert _continued(result) is continued
    if continued:
        assert result.flags == "01"  # downgraded to version 00


@pytest.mark.parametrize(
    "version",
    ["ff", ".0", "0.", "000", "0000", "0", "GG"],
)
def test_an_invalid_version_restarts_the_trace(logs: Captured, harness: Harness, version: str) -> None:
    """Trace Context Level 2, §3.2.2.1 version: two lowercase hex digits, ``ff`` forbidden."""
    assert not _continued(_one(harness, [("traceparent", f"{version}-{TRACE}-{PARENT}-01")]))


@pytest.mark.parametrize(
    "trace_id",
    ["0" * 32, "." + TRACE[1:], TRACE[:-1] + ".", TRACE + "3", TRACE[:-1], TRACE.upper().replace("1", "A")],
)
def test_an_invalid_trace_id_restarts_the_trace(logs: Captured, harness: Harness, trace_id: str) -> None:
    """Trace Context Level 2, §3.2.2.3 trace-id: 32 lowercase hex digits, not all zero."""
    result = _one(harness, [("traceparent", f"00-{trace_id}-{PARENT}-01")])
    assert result.trace_id not in (trace_id, TRACE, TRACE[1:] + "3")


@pytest.mark.parametrize(
    "parent_id",
    ["0" * 16, "." + PARENT[1:], PARENT[:-1] + ".", PARENT + "7", PARENT[:-1], "ABCDEF1234567890"],
)
def test_an_invalid_parent_id_restarts_the_trace(logs: Captured, harness: Harness, parent_id: str) -> None:
    """Trace Context Level 2, §3.2.2.4 parent-id: 16 lowercase hex digits, not all zero."""
    assert not _continued(_one(harness, [("traceparent", f"00-{TRACE}-{parent_id}-01")]))


@pytest.mark.parametrize("flags", [".0", "0.", "001", "1", "0g"])
def test_invalid_trace_flags_restart_the_trace(logs: Captured, harness: Harness, flags: str) -> None:
    """Trace Context Level 2, §3.2.2.5 trace-flags: two lowercase hex digits."""
    assert not _continued(_one(harness, [("traceparent", f"00-{TRACE}-{PARENT}-{flags}")]))


def test_unknown_trace_flags_are_sent_as_zero(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.2.2.5.3 Other flags: vendors MUST set flags they do not know to zero."""
    result = _one(harness, [("traceparent", f"00-{TRACE}-{PARENT}-ff")])
    assert (result.trace_id, result.flags) == (TRACE, "03")  # sampled and random kept, the rest cleared


@pytest.mark.parametrize("value", [f" {VALID}", f"\t{VALID}", f"{VALID} ", f"{VALID}\t", f"\t {VALID} \t"])
def test_whitespace_around_traceparent_is_ignored(logs: Captured, harness: Harness, value: str) -> None:
    """Trace Context Level 2, §3.2.2 traceparent field values with RFC 9110 OWS around the value."""
    assert _continued(_one(harness, [("traceparent", value)]))


# -- tracestate -------------------------------------------------------------------------------

WITH_PARENT: list[Header] = [("traceparent", f"00-{TRACE}-{PARENT}-00")]


def _state(harness: Harness, *values: str, name: str = "tracestate") -> dict[str, str]:
    result = _one(harness, [*WITH_PARENT, *((name, value) for value in values)])
    assert result.trace_id == TRACE  # a tracestate never costs the traceparent
    return result.tracestate


def test_tracestate_without_traceparent_is_discarded(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §4.2 step 3: a tracestate without a traceparent MUST be discarded."""
    one = _one(harness, [("tracestate", "foo=1")])
    two = _one(harness, [("tracestate", "foo=1,bar=2")])
    assert one.tracestate == two.tracestate == {}


def test_tracestate_is_passed_on(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.5 Mutating the tracestate field: received entries are sent on."""
    assert _state(harness, "foo=1,bar=2") == {"foo": "1", "bar": "2"}


@pytest.mark.parametrize("name", ["trace-state", "trace.state"])
def test_other_header_names_are_not_tracestate(logs: Captured, harness: Harness, name: str) -> None:
    """Trace Context Level 2, §3.3.1 Header name: ``tracestate``, one word, no delimiter."""
    assert _state(harness, "foo=1", name=name) == {}


@pytest.mark.parametrize("name", ["TraceState", "TrAcEsTaTe", "TRACESTATE"])
def test_tracestate_name_in_any_case(logs: Captured, harness: Harness, name: str) -> None:
    """Trace Context Level 2, §3.3.1 Header name: vendors MUST expect the name in any case."""
    assert _state(harness, "foo=1", name=name) == {"foo": "1"}


@pytest.mark.parametrize(
    ("values", "expected"), [([""], {}), (["foo=1", ""], {"foo": "1"}), (["", "foo=1"], {"foo": "1"})]
)
def test_an_empty_tracestate_header_is_accepted(
    logs: Captured, harness: Harness, values: list[str], expected: dict[str, str]
) -> None:
    """Trace Context Level 2, §3.3.1.1: vendors MUST accept empty tracestate headers (and not send them)."""
    assert _state(harness, *values) == expected


def test_several_tracestate_headers_are_combined_in_order(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.3.1.1: several headers are combined as RFC 9110 field order says."""
    state = _state(harness, "foo=1,bar=2", "rojo=1,congo=2", "baz=3")
    assert list(state.items()) == [("foo", "1"), ("bar", "2"), ("rojo", "1"), ("congo", "2"), ("baz", "3")]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["foo=1,foo=1"], "1"),
        (["foo=1,foo=2"], "1"),
        (["foo=1", "foo=1"], "1"),
        (["foo=1", "foo=2"], "1"),
    ],
)
def test_a_repeated_key_keeps_its_first_entry(
    logs: Captured, harness: Harness, values: list[str], expected: str
) -> None:
    """Trace Context Level 2 editor's draft, §3.3.1.4 Combined header value: one entry per key.

    The left-most entry is the latest position; the header is kept (the
    current W3C test suite accepts keeping one of the entries).
    """
    assert _state(harness, *values) == {"foo": expected}


KEY_CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789_-*/"
VALUE_CHARACTERS = "".join(chr(c) for c in (*range(0x20, 0x2C), *range(0x2D, 0x3D), *range(0x3E, 0x7F)))


@pytest.mark.parametrize("key", [KEY_CHARACTERS, KEY_CHARACTERS + "@a-z0-9_-*/"])
def test_every_allowed_character(logs: Captured, harness: Harness, key: str) -> None:
    """Trace Context Level 2, §3.3.1.3.1 Key and §3.3.1.3.2 Value: every allowed character passes."""
    assert _state(harness, f"{key}={VALUE_CHARACTERS}") == {key: VALUE_CHARACTERS}


@pytest.mark.parametrize(
    "value",
    [
        "foo=1 \t , \t bar=2, \t baz=3",
        "foo=1\t \t,\t \tbar=2,\t \tbaz=3",
        " foo=1",
        "\tfoo=1",
        "foo=1 ",
        "foo=1\t",
    ],
)
def test_whitespace_around_members_is_ignored(logs: Captured, harness: Harness, value: str) -> None:
    """Trace Context Level 2, §3.3.1.1: spaces and tabs around list-members are ignored."""
    state = _state(harness, value)
    assert state["foo"] == "1"
    assert set(state) <= {"foo", "bar", "baz"}


@pytest.mark.parametrize("value", ["foo =1", "FOO=1", "foo.bar=1", "@foo=1,bar=2", "_foo=1,bar=2"])
def test_an_invalid_key_discards_the_tracestate(logs: Captured, harness: Harness, value: str) -> None:
    """Trace Context Level 2 editor's draft, §3.3.1.3.1 Key: a lowercase letter or digit, then keychars."""
    assert _state(harness, value) == {}


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("foo@=1,bar=2", "foo@"),
        ("foo@@bar=1,bar=2", "foo@@bar"),
        ("foo@bar@baz=1,bar=2", "foo@bar@baz"),
        ("1tenant@vendor=1,bar=2", "1tenant@vendor"),
        ("9lives=1,bar=2", "9lives"),
    ],
)
def test_keys_of_the_current_draft(logs: Captured, harness: Harness, value: str, key: str) -> None:
    """Trace Context Level 2 editor's draft, §3.3.1.3.1 Key: ``@`` is a key character like the others.

    Level 1's ``tenant@system`` form is one case of the grammar; keys such
    as ``foo@`` or ``foo@bar@baz`` (invalid in Level 1) are kept.
    """
    assert _state(harness, value) == {key: "1", "bar": "2"}


def test_at_most_32_members(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.3.1.2 list: at most 32 list-members; a longer list is invalid."""
    headers_32 = [
        ",".join(f"bar{i:02d}={i:02d}" for i in range(n, min(n + 10, 33))) for n in range(1, 33, 10)
    ]
    state = _state(harness, *headers_32)
    assert len(state) == 32 and state["bar01"] == "01"
    assert _state(harness, *headers_32, "bar33=33") == {}


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("z" * 256, True),
        ("z" * 257, False),
        ("t" * 241 + "@" + "v" * 14, True),
        ("t" * 242 + "@v", True),  # the current draft limits the whole key (256), not its parts
        ("t@" + "v" * 15, True),
        ("t" * 200 + "@" + "v" * 55, True),
        ("t" * 200 + "@" + "v" * 56, False),
    ],
)
def test_key_length_limit(logs: Captured, harness: Harness, key: str, kept: bool) -> None:
    """Trace Context Level 2 editor's draft, §3.3.1.3.1 Key: up to 256 characters in all."""
    state = _state(harness, "foo=1", f"{key}=1")
    assert state == ({"foo": "1", key: "1"} if kept else {})


@pytest.mark.parametrize("value", ["foo=bar=baz", "foo=,bar=3", "foo=" + "x" * 257, "foo=a\x7fb", "foo=é"])
def test_an_invalid_value_discards_the_tracestate(logs: Captured, harness: Harness, value: str) -> None:
    """Trace Context Level 2, §3.3.1.3.2 Value: 1 to 256 printable ASCII characters but ``,`` and ``=``."""
    assert _state(harness, value) == {}


def test_a_long_tracestate_is_shortened_by_whole_members(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §3.3.1.5 tracestate limits: members over 128 characters go first."""
    long0, long1, long2 = (f"long{i}={'x' * 200}" for i in range(3))  # 632 characters in all
    state = _state(harness, "a=1", long0, "b=2", long1, "c=3", long2)
    assert state == {"a": "1", "long0": "x" * 200, "b": "2", "long1": "x" * 200, "c": "3"}


# -- several calls from one request -----------------------------------------------------------


def test_each_call_continues_the_trace_with_its_own_parent_id(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §4.3 step 4: for each outgoing request the parent-id MUST be updated."""
    results = [_sent(call) for call in _post(harness, [("traceparent", VALID)], count=3)]
    assert {result.trace_id for result in results} == {TRACE}
    assert len({result.parent_id for result in results}) == 3
    run_span = logs.one("run_started")["span_id"]
    lines = [x for x in logs.lines() if x["event"].startswith("HTTP Request: POST")]
    assert [x["span_id"] for x in lines] == [result.parent_id for result in results]
    assert {x["parent_span_id"] for x in lines} == {run_span}


def test_each_call_without_traceparent_has_its_own_parent_id(logs: Captured, harness: Harness) -> None:
    """Trace Context Level 2, §4.2 and §4.3 step 4: one new trace, a new parent-id per outgoing request."""
    results = [_sent(call) for call in _post(harness, [], count=3)]
    assert len({result.trace_id for result in results}) == 1
    assert len({result.parent_id for result in results}) == 3


def test_each_call_after_an_invalid_traceparent_has_its_own_parent_id(
    logs: Captured, harness: Harness
) -> None:
    """Trace Context Level 2, §3.2.2.3 and §4.3: an all-zero trace-id restarts the trace, once."""
    results = [
        _sent(call) for call in _post(harness, [("traceparent", f"00-{'0' * 32}-{PARENT}-01")], count=3)
    ]
    assert "0" * 32 not in {result.trace_id for result in results}
    assert len({result.parent_id for result in results}) == 3


# -- baggage ----------------------------------------------------------------------------------


def test_baggage_is_passed_on_with_the_trace(logs: Captured, harness: Harness) -> None:
    """W3C Baggage, §4 Mutating baggage: a received baggage header SHOULD be sent on (to a target)."""
    result = _one(
        harness,
        [
            ("traceparent", VALID),
            ("baggage", "tenant=acme;tier=gold, region = eu%20west"),
            ("baggage", "agentlog.session_id=conv-1"),
        ],
    )
    assert result.trace_id == TRACE
    members = dict(member.split("=", 1) for member in result.baggage)
    assert members["agentlog.session_id"] == "conv-1"
    assert "tenant=acme;tier=gold" in result.baggage and "region = eu%20west" in result.baggage


@pytest.mark.parametrize("traceparent", [None, f"00-{'0' * 32}-{PARENT}-01", "garbage"])
def test_baggage_travels_without_a_traceparent(
    logs: Captured, harness: Harness, traceparent: str | None
) -> None:
    """W3C Baggage, §1 (independent of Trace Context): baggage is kept without a valid traceparent."""
    sent = [("baggage", "agentlog.session_id=conv-2,agentlog.request_id=req-2,tenant=acme")]
    result = _one(harness, [*([("traceparent", traceparent)] if traceparent else []), *sent])
    assert not _continued(result) and result.trace_id != "0" * 32
    members = dict(member.split("=", 1) for member in result.baggage)
    assert (members["agentlog.session_id"], members["agentlog.request_id"], members["tenant"]) == (
        "conv-2",
        "req-2",
        "acme",
    )
    started = logs.one("run_started")
    assert (started["session_id"], started["request_id"]) == ("conv-2", "req-2")
    assert "parent_run_id" not in started and "parent_span_id" not in started


# -- unit vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"),
        (" , rojo=1 ,, \t,congo=2,", "rojo=1,congo=2"),
        ("a= leading space kept", "a= leading space kept"),
        ("a=trailing   ", "a=trailing"),
        ("0abc=1", "0abc=1"),
        ("a@b@c=1", "a@b@c=1"),
        ("a@=1", "a@=1"),
        ("k=" + "v" * 256, "k=" + "v" * 256),
        ("", None),
        (" \t,,", None),
    ],
)
def test_parse_tracestate_keeps(value: str, expected: str | None) -> None:
    """Trace Context Level 2 editor's draft, §3.3.1.2 list and §3.3.1.3 list-members: valid lists."""
    assert parse_tracestate(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "A=1",
        "-a=1",
        "@a=1",
        "a",
        "=1",
        "a=",
        "a=b=c",
        "a=\t1",
        "a=1\x00",
        "a=\u00e9",
        "a=1,\udcff=2",
        "k" * 257 + "=1",
        "k=" + "v" * 257,
        ",".join(f"k{i}=v" for i in range(33)),
        "k=v," * 10_000,
    ],
)
def test_parse_tracestate_drops(value: str) -> None:
    """Trace Context Level 2, §3.3.1.2–§3.3.1.3: an invalid list is dropped whole, never raises."""
    assert parse_tracestate(value) is None


def test_parse_tracestate_shortens_long_members_first_then_from_the_right() -> None:
    """Trace Context Level 2, §3.3.1.5 tracestate limits: whole entries, those over 128 characters first."""
    short = [f"s{i:02d}={'x' * 36}" for i in range(16)]  # 40 characters each
    long_left, long_right = "l1=" + "y" * 140, "l2=" + "z" * 140  # 143 characters each
    # 615 characters: removing the right-most long entry is enough.
    assert parse_tracestate(",".join([long_left, *short[:4], long_right, *short[4:8]])) == ",".join(
        [long_left, *short[:8]]
    )
    # 779 characters: both long entries go, every short one stays.
    assert parse_tracestate(",".join([long_left, *short[:6], long_right, *short[6:12]])) == ",".join(
        short[:12]
    )
    # 963 characters: both long entries go, then short ones from the right until 512 are left.
    kept = parse_tracestate(",".join([long_left, *short[:8], long_right, *short[8:16]]))
    assert kept == ",".join(short[:12])
    assert len(kept) == 491


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"00-{TRACE}-{PARENT}-01", (TRACE, PARENT, "01")),
        (f"00-{TRACE}-{PARENT}-02", (TRACE, PARENT, "02")),
        (f"00-{TRACE}-{PARENT}-fd", (TRACE, PARENT, "01")),
        (f"7f-{TRACE}-{PARENT}-03-extra", (TRACE, PARENT, "03")),
        (f"00-{TRACE}-{PARENT}-01\udcff", None),
        (f"00-{TRACE}-{PARENT}-01\r\n", None),
    ],
)
def test_parse_traceparent(value: str, expected: tuple[str, str, str] | None) -> None:
    """Trace Context Level 2, §3.2.2.5 trace-flags (sampled, random; others zero) and §3.2.4 versioning."""
    parsed = parse_traceparent(value)
    assert (tuple(parsed) if parsed is not None else None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue",
            [("key1", "value1"), ("key2", "value2"), ("key3", "value3")],
        ),
        (
            "userId=alice,serverNode=DF%2028,isProduction=false",
            [("userId", "alice"), ("serverNode", "DF 28"), ("isProduction", "false")],
        ),
        ("k=a=b==", [("k", "a=b==")]),
        ("k=", [("k", "")]),
        ("k=%FF%FE", [("k", "\ufffd\ufffd")]),
        ("bad key=1,k=v", [("k", "v")]),
        ("k=v;=p,ok=1", [("ok", "1")]),
        ("k=v;p=a b,ok=1", [("ok", "1")]),
        ("k=v;p=\udcff,ok=1", [("ok", "1")]),
        ("k=caf\u00e9,ok=1", [("ok", "1")]),
        ('k="quoted",ok=1', [("ok", "1")]),
        ("k=v\\,ok=1", [("ok", "1")]),
    ],
)
def test_parse_baggage(value: str, expected: list[tuple[str, str]]) -> None:
    """W3C Baggage, §3.2.1 Definition: list-member, key (token), value (baggage-octets), property.

    OWS around keys, values and properties is trimmed; values are
    percent-decoded UTF-8; a member not in the grammar is skipped, the
    others kept.
    """
    assert [(key, value) for key, value, _ in parse_baggage(value)] == expected


def test_parse_baggage_limits() -> None:
    """W3C Baggage, §3.3 Limits: 64 members and 8192 bytes are propagated; no member is ever cut."""
    assert len(parse_baggage(",".join(f"k{i}=v" for i in range(100)))) == 64
    big = parse_baggage(",".join(f"k{i}={'x' * 1000}" for i in range(10)))
    assert len(big) == 8 and all(len(raw) == len(f"k{i}=") + 1000 for i, (_, _, raw) in enumerate(big))


# -- hostile carriers: one bad header or member never costs a valid traceparent --------------

junk_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
junk_bytes = st.binary(max_size=60)
surrogates = st.text(st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baggage=st.lists(junk_text, max_size=4), tracestate=junk_text, run_id=junk_text)
def test_hostile_text_beside_a_valid_traceparent(baggage: list[str], tracestate: str, run_id: str) -> None:
    """Trace Context Level 2, §3.3 (tracestate failures MUST NOT affect traceparent); W3C Baggage §4.

    Any text — non-ASCII, lone surrogates, controls — in baggage, tracestate
    or X-Run-Id: the traceparent is still read, and nothing raises.
    """
    carrier = {"traceparent": VALID, "tracestate": tracestate, "baggage": baggage, "X-Run-Id": run_id}
    parent = extract(carrier)
    assert parent is not None and (parent.trace_id, parent.span_id) == (TRACE, PARENT)
    with agentlog.run(parent=parent):
        sent = headers()
    assert all(value.isascii() and "\r" not in value and "\n" not in value for value in sent.values())


@settings(max_examples=300, deadline=None)
@given(values=st.lists(junk_bytes, min_size=1, max_size=4), names=st.lists(junk_bytes, max_size=3))
def test_hostile_bytes_in_asgi_headers(values: list[bytes], names: list[bytes]) -> None:
    """Trace Context Level 2, §3.2.1 and §3.3; W3C Baggage §3.2: ASGI byte pairs, read pair by pair."""
    pairs: list[tuple[Any, Any]] = [(b"traceparent", VALID.encode())]
    pairs += [(b"baggage", value) for value in values]
    pairs += [(name, b"x") for name in names]
    pairs += [
        (b"tracestate", values[0]),
        (b"x-run-id", values[-1]),
        ("not", "bytes"),
        (b"baggage", None),
        (1, 2),
    ]
    parent = extract(pairs)
    assert parent is not None and parent.trace_id == TRACE


@settings(max_examples=200, deadline=None)
@given(bad=surrogates, good=st.sampled_from(["tenant=acme", "agentlog.session_id=s-1"]))
def test_surrogate_escaped_environment_values(bad: str, good: str) -> None:
    """W3C Baggage, §3.2.1: a non-UTF-8 byte in an environment value (surrogate-escaped) costs its member."""
    environ = {
        "TRACEPARENT": VALID,
        "TRACESTATE": f"rojo=1,bad={bad}",
        "BAGGAGE": f"junk={bad},{good},prop=1;p={bad}",
        "X_RUN_ID": bad,
    }
    parent = extract(environ)
    assert parent is not None and parent.trace_id == TRACE
    assert parent.tracestate is None  # an invalid member drops the tracestate, not the traceparent
    assert parent.baggage == (("tenant=acme",) if good.startswith("tenant") else ())
    assert parent.session_id == (None if good.startswith("tenant") else "s-1")


@given(session=surrogates)
@settings(max_examples=50, deadline=None)
def test_an_unencodable_id_is_not_sent_but_the_rest_is(session: str) -> None:
    """W3C Baggage, §3.2.1.3 value (percent-encoded UTF-8): a value that is not UTF-8 is left out."""
    with agentlog.run(session_id=f"s{session}") as run:
        sent: dict[str, str] = inject({})
    assert sent["traceparent"].split("-")[1] == run.trace_id
    assert "agentlog.session_id" not in sent.get("baggage", "")
    assert f"agentlog.run_id={run.run_id}" in sent["baggage"]


def test_a_real_environment_with_a_byte_that_is_not_utf8(tmp_path: Any) -> None:
    """W3C Baggage, §3.2.1 in a real os.environ: a child process whose BAGGAGE holds byte 0xFF."""
    script = (
        "import os, json\n"
        "from agentlog.propagation import extract\n"
        "parent = extract(os.environ)\n"
        "print(json.dumps([parent.trace_id, parent.session_id, list(parent.baggage)]))\n"
    )
    env = {key.encode(): value.encode() for key, value in os.environ.items() if key.isascii()}
    env[b"TRACEPARENT"] = VALID.encode()
    env[b"BAGGAGE"] = b"bad=caf\xe9\xff,agentlog.session_id=s-env,tenant=acme;note=\xff"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True, timeout=60)
    assert json.loads(out.stdout) == [TRACE, "s-env", []]


def test_extract_is_none_only_when_nothing_is_carried() -> None:
    """Trace Context Level 2, §4.2 and W3C Baggage: no traceparent and nothing else gives no parent."""
    assert extract({"tracestate": "foo=1"}) is None
    assert extract({"traceparent": "junk", "tracestate": "foo=1"}) is None
    parent = extract({"baggage": "tenant=acme", "tracestate": "foo=1"})
    assert isinstance(parent, RemoteParent)
    assert (parent.trace_id, parent.span_id, parent.span, parent.tracestate) == (None, None, None, None)
    assert parent.baggage == ("tenant=acme",)


def test_a_baggage_only_parent_inside_a_run_is_a_plain_child_run(logs: Captured) -> None:
    """W3C Baggage without Trace Context, inside a run: a child run of that run, the carrier's IDs kept."""
    parent = extract({"baggage": f"agentlog.session_id=inbound,agentlog.run_id={RUN},tenant=acme"})
    with (
        agentlog.run(session_id="outer", request_id="r-outer") as outer,
        agentlog.run(parent=parent) as inner,
    ):
        ctx = agentlog.current()
        sent = headers()
    started = next(x for x in logs.events("run_started") if x["run_id"] == inner.run_id)
    assert (started["trace_id"], started["parent_run_id"]) == (outer.trace_id, outer.run_id)
    assert started["parent_span_id"] == outer.span_id
    assert (started["session_id"], started["request_id"]) == ("inbound", "r-outer")
    assert ctx is not None and ctx.baggage == ("tenant=acme",)
    assert "tenant=acme" in sent["baggage"].split(",")
    assert RUN not in json.dumps(started)  # the caller's run on another trace is not the parent run


def test_async_instrumented_client_in_a_baggage_only_run(logs: Captured) -> None:
    """W3C Baggage §4 with Trace Context §4.2: a fresh trace whose calls carry the inbound baggage."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    async def main() -> agentlog.Run:
        async with httpx_integration.instrument(
            httpx.AsyncClient(transport=httpx.MockTransport(handler))
        ) as client:
            with agentlog.run(parent=extract({"baggage": "tenant=acme"})) as run:
                await client.get("http://127.0.0.1/a")
            return run

    run = asyncio.run(main())
    assert seen[0].headers["traceparent"].split("-")[1] == run.trace_id
    assert "tenant=acme" in seen[0].headers["baggage"].split(",")
