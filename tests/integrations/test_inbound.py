"""Hostile inbound headers against real servers on 127.0.0.1: ASGI (uvicorn), WSGI (wsgiref), http.server.

Each request is sent over a raw socket, byte for byte, so that headers no
well-behaved client would send (repeated, oversized, control bytes) reach the
server as an attacker would send them. Each server answers with the IDs of the
run it handled the request in.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, MutableMapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

import agentlog
from agentlog import propagation
from agentlog.integrations.asgi import AgentlogMiddleware
from agentlog.integrations.wsgi import AgentlogWSGIMiddleware
from tests.conftest import Captured

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"traceparent: 00-{TRACE}-00f067aa0ba902b7-01".encode()
RUN = "6f1c2b9e-8d3a-4c1e-9b7a-2e5d4c3b2a10"
OTHER_RUN = "11111111-2222-4333-8444-555555555555"


def _ids() -> bytes:
    ctx = agentlog.current()
    assert ctx is not None
    fields = ("user_id", "session_id", "request_id", "parent_run_id", "trace_id", "run_id", "tracestate")
    ids = {name: getattr(ctx, name) for name in fields}
    return json.dumps({**ids, "baggage": list(ctx.baggage)}).encode()


async def _asgi_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = _ids()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = _ids()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class _ExtractingHandler(BaseHTTPRequestHandler):
    """A plain server continuing the caller's run by hand: agentlog.run(parent=extract(headers))."""

    def do_GET(self) -> None:
        with agentlog.run(parent=propagation.extract(self.headers), task=self.path):
            body = _ids()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class _QuietWSGI(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, int]]:
    """The three servers, started once for the module."""
    uvicorn = pytest.importorskip("uvicorn")
    asgi_port = _free_port()
    asgi = uvicorn.Server(
        uvicorn.Config(AgentlogMiddleware(_asgi_app), host="127.0.0.1", port=asgi_port, log_level="critical")
    )
    wsgi = make_server("127.0.0.1", 0, AgentlogWSGIMiddleware(_wsgi_app), handler_class=_QuietWSGI)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), _ExtractingHandler)
    threads = [
        threading.Thread(target=asgi.run, daemon=True),
        threading.Thread(target=wsgi.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
        threading.Thread(target=plain.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True),
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while not asgi.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield {"asgi": asgi_port, "wsgi": wsgi.server_port, "extract": plain.server_address[1]}
    finally:
        asgi.should_exit = True
        wsgi.shutdown()
        plain.shutdown()
        wsgi.server_close()
        plain.server_close()
        threads[0].join(10)


def _raw_get(port: int, header_lines: list[bytes]) -> tuple[int, dict[str, Any] | None]:
    """Send a GET with exactly these header lines; return the status and the JSON body (if 200)."""
    request = b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    request += b"".join(line + b"\r\n" for line in header_lines) + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    response = b"".join(chunks)
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body) if status == 200 else None


# name: (header lines beside a valid traceparent, the session ID the run must end with)
HOSTILE: dict[str, tuple[list[bytes], str | None]] = {
    "user_id claimed": ([b"baggage: agentlog.user_id=admin"], None),
    "user_id with spaces and properties": ([b"baggage:  agentlog.user_id = admin ;role=root"], None),
    "user_id claimed twice beside a session": (
        [b"baggage: agentlog.user_id=admin,agentlog.user_id=root,agentlog.session_id=s-ok"],
        "s-ok",
    ),
    "user_id in a second header": (
        [b"baggage: agentlog.session_id=s-ok", b"baggage: agentlog.user_id=admin"],
        "s-ok",
    ),
    # Not agentlog's keys at all: other systems' members, passed on, never read as a user (nothing to count).
    "user_id key percent-encoded": ([b"baggage: agentlog%2Euser_id=admin,AGENTLOG.USER_ID=admin"], None),
    "forged line via CR LF": (
        [b"baggage: agentlog.session_id=a%0D%0A%7B%22event%22%3A%22run_finished%22%7D"],
        None,
    ),
    "ANSI escape": ([b"baggage: agentlog.request_id=%1B%5B2J%1B%5B31mpwned"], None),
    "bidi override": ([b"baggage: agentlog.session_id=admin%E2%80%AEgpj.exe"], None),
    "invalid UTF-8": ([b"baggage: agentlog.session_id=%C0%AE%FF"], None),
    "ID over 256 characters": ([b"baggage: agentlog.session_id=" + b"A" * 300], None),
    "member over the baggage limit": ([b"baggage: agentlog.session_id=" + b"A" * 20_000], None),
    "members past the 64th": (
        [b"baggage: " + b",".join(b"k%d=v" % i for i in range(200)) + b",agentlog.session_id=late"],
        None,
    ),
    "session twice in one header": ([b"baggage: agentlog.session_id=one,agentlog.session_id=two"], None),
    "session in two headers": (
        [b"baggage: agentlog.session_id=one", b"baggage: agentlog.session_id=two"],
        None,
    ),
    "X-Request-Id with an escape byte": ([b"X-Request-Id: \x1b[31mred"], None),
    "X-Request-Id over 256 characters": ([b"X-Request-Id: " + b"r" * 5000], None),
    "X-Request-Id twice": ([b"X-Request-Id: one", b"X-Request-Id: two"], None),
    "X-Run-Id not a UUID": ([b"X-Run-Id: ../../etc/passwd"], None),
    "X-Run-Id against baggage": (
        [f"X-Run-Id: {OTHER_RUN}".encode(), f"baggage: agentlog.run_id={RUN}".encode()],
        None,
    ),
}

FORBIDDEN_IN_LOGS = [
    b"admin",
    b"root",
    b"\x1b",
    "\u202e".encode(),
    b"pwned",
    b"AAAAAAAA",
    b"rrrrrrrr",
    b"passwd",
]


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "extract"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_headers_never_set_identity_or_reach_a_line(
    logs: Captured, servers: dict[str, int], kind: str, case: str
) -> None:
    """No user, no invalid or ambiguous ID, no control byte in a line; the request is still served."""
    header_lines, session = HOSTILE[case]
    status, ids = _raw_get(servers[kind], [TRACEPARENT, *header_lines])
    raw = logs.raw()
    for forbidden in FORBIDDEN_IN_LOGS:
        assert forbidden not in raw
    for line in raw.splitlines():
        json.loads(line)  # every line whole
    if status != 200:
        # Only a server's own HTTP parser may refuse a request (an escape byte in a header value).
        assert case == "X-Request-Id with an escape byte"
        return
    assert ids is not None
    assert ids["user_id"] is None
    assert ids["session_id"] == session
    assert ids["request_id"] is None
    assert ids["parent_run_id"] is None
    assert ids["trace_id"] == TRACE  # a caller may choose the parent trace: W3C by design
    read = not (kind == "extract" and case.startswith("X-Request-Id"))  # extract() reads no X-Request-Id
    if read and case != "user_id key percent-encoded":
        assert agentlog.problems()  # every drop is counted


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "extract"])
def test_well_formed_correlation_is_still_inherited(
    logs: Captured, servers: dict[str, int], kind: str
) -> None:
    """The same servers continue a well-formed caller: trace, parent run and session, but not its user."""
    with agentlog.run(session_id="conv-7", user_id="alice") as caller:
        headers = propagation.headers(allow=["user_id"])
    lines = [f"{name}: {value}".encode() for name, value in headers.items()]
    status, ids = _raw_get(servers[kind], lines)
    assert status == 200 and ids is not None
    assert (ids["trace_id"], ids["parent_run_id"], ids["session_id"]) == (
        caller.trace_id,
        caller.run_id,
        "conv-7",
    )
    assert ids["user_id"] is None


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "extract"])
@pytest.mark.parametrize(
    "traceparent",
    [None, b"traceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01", b"traceparent: junk"],
)
def test_baggage_without_a_valid_traceparent_is_still_carried(
    logs: Captured, servers: dict[str, int], kind: str, traceparent: bytes | None
) -> None:
    """W3C Baggage travels on its own: a fresh trace, but the session, request and foreign members kept."""
    lines = [
        b"baggage: agentlog.session_id=conv-9,agentlog.request_id=req-9,tenant=acme",
        f"baggage: agentlog.run_id={RUN},agentlog.user_id=admin".encode(),
        b"tracestate: congo=t61rcWkgMzE",
    ]
    status, ids = _raw_get(servers[kind], [*([traceparent] if traceparent else []), *lines])
    assert status == 200 and ids is not None
    assert ids["trace_id"] not in (TRACE, "0" * 32)
    assert (ids["session_id"], ids["request_id"]) == ("conv-9", "req-9")
    assert (ids["user_id"], ids["parent_run_id"]) == (None, None)  # a fresh trace: not a child run
    assert ids["baggage"] == ["tenant=acme"]
    assert ids["tracestate"] is None  # it belonged to the missing parent
    assert b"admin" not in logs.raw()


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "extract"])
def test_an_undecodable_byte_costs_one_member_only(
    logs: Captured, servers: dict[str, int], kind: str
) -> None:
    """Bytes that are not UTF-8 (or not ASCII) in one baggage member or header: the rest is read."""
    status, ids = _raw_get(
        servers[kind],
        [
            TRACEPARENT,
            b"tracestate: rojo=00f067aa0ba902b7",
            b"baggage: bad=caf\xe9\xff,tenant=acme,agentlog.session_id=s-ok",
            b"baggage: other=\xc3\x28;prop=\xfe",
            b"X-Run-Id: \xff\xfe",
        ],
    )
    assert status == 200 and ids is not None
    assert ids["trace_id"] == TRACE
    assert ids["tracestate"] == "rojo=00f067aa0ba902b7"
    assert ids["session_id"] == "s-ok"
    assert ids["baggage"] == ["tenant=acme"]
