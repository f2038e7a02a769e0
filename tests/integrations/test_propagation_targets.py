"""Which headers reach which host: real httpx, requests and LLM SDK clients against a server on 127.0.0.1.

Requests meant for LLM providers (``http://api.openai.com`` …) are sent through
the local server acting as a plain HTTP forward proxy, so they leave the real
clients exactly as they would for the provider and arrive here, host intact.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

import httpx
import pytest
import requests

import agentlog
from agentlog.integrations import httpx as httpx_integration
from agentlog.integrations import requests as requests_integration
from tests.conftest import Captured

CHAT = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "gpt-test",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}
MESSAGE = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "claude-test",
    "content": [{"type": "text", "text": "hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 5, "output_tokens": 1},
}


class Seen(NamedTuple):
    """One request as the server received it: its target (absolute when proxied) and headers."""

    target: str
    headers: dict[str, str]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[Seen]

    def _answer(self) -> None:
        self.seen.append(Seen(self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/public/after-redirect")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps(MESSAGE if self.path.endswith("/messages") else CHAT).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class Server(NamedTuple):
    """The recording server: its base URL and the requests it received."""

    url: str
    seen: list[Seen]

    def one(self, fragment: str) -> dict[str, str]:
        found = [request.headers for request in self.seen if fragment in request.target]
        assert len(found) == 1, f"{len(found)} requests to {fragment}"
        return found[0]


@pytest.fixture
def server() -> Iterator[Server]:
    seen: list[Seen] = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Recorder,), {"seen": seen}))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", seen)
    finally:
        httpd.shutdown()
        httpd.server_close()


def _assert_no_baggage(headers: dict[str, str], run: agentlog.Run) -> None:
    assert "baggage" not in headers
    assert headers["traceparent"].split("-")[1] == run.trace_id
    assert headers["x-run-id"] == run.run_id


def _assert_baggage(headers: dict[str, str], run: agentlog.Run) -> None:
    members = dict(member.split("=", 1) for member in headers["baggage"].split(","))
    assert members["agentlog.run_id"] == run.run_id
    assert members["agentlog.session_id"] == "conv-7"
    assert headers["traceparent"].split("-")[1] == run.trace_id


def test_httpx_sends_baggage_to_an_allowed_prefix_only(logs: Captured, server: Server) -> None:
    """A URL-prefix target: the request under it gets baggage, the one beside it does not."""
    agentlog.configure(output=logs.path, propagation_targets=[f"{server.url}/internal"])
    with (
        httpx_integration.instrument(httpx.Client(trust_env=False)) as client,
        agentlog.run(session_id="conv-7") as run,
    ):
        client.get(f"{server.url}/internal/search")
        client.get(f"{server.url}/internalized")
        client.get(f"{server.url}/public")
    _assert_baggage(server.one("/internal/search"), run)
    _assert_no_baggage(server.one("/internalized"), run)
    _assert_no_baggage(server.one("/public"), run)


def test_a_redirect_away_from_a_target_takes_the_baggage_back(logs: Captured, server: Server) -> None:
    """An allowed URL redirecting elsewhere: the redirected request (httpx, requests) has no baggage."""
    agentlog.configure(output=logs.path, propagation_targets=[f"{server.url}/internal"])
    session = requests_integration.instrument(requests.Session())
    session.trust_env = False
    with (
        httpx_integration.instrument(httpx.Client(trust_env=False, follow_redirects=True)) as client,
        agentlog.run(session_id="conv-7") as run,
    ):
        client.get(f"{server.url}/internal/httpx/redirect")
        session.get(f"{server.url}/internal/requests/redirect", timeout=10)
    session.close()
    assert [request.target for request in server.seen] == [
        "/internal/httpx/redirect",
        "/public/after-redirect",
        "/internal/requests/redirect",
        "/public/after-redirect",
    ]
    first, second, third, fourth = (request.headers for request in server.seen)
    _assert_baggage(first, run)
    _assert_no_baggage(second, run)
    _assert_baggage(third, run)
    _assert_no_baggage(fourth, run)


def test_the_users_own_baggage_header_is_left_alone(logs: Captured, server: Server) -> None:
    """A baggage header the caller set on a request to a non-target is theirs: kept as it is."""
    with (
        httpx_integration.instrument(httpx.Client(proxy=server.url, trust_env=False)) as client,
        agentlog.run(session_id="conv-7") as run,
    ):
        client.get("http://api.example.com/x", headers={"baggage": "tenant=acme"})
    headers = server.one("api.example.com")
    assert headers["baggage"] == "tenant=acme"
    assert headers["x-run-id"] == run.run_id


def test_async_httpx_follows_the_targets(logs: Captured, server: Server) -> None:
    """The async client's hook applies the same targets."""
    agentlog.configure(output=logs.path, propagation_targets=["search.internal"])

    async def main() -> agentlog.Run:
        async with httpx_integration.instrument(httpx.AsyncClient(trust_env=False)) as client:
            with agentlog.run(session_id="conv-7") as run:
                await client.get(f"{server.url}/local")
            return run

    run = asyncio.run(main())
    _assert_no_baggage(server.one("/local"), run)


def test_requests_sends_baggage_to_an_allowed_host_only(logs: Captured, server: Server) -> None:
    """requests: the default targets let baggage reach 127.0.0.1; a configured list that omits it does not."""
    session = requests_integration.instrument(requests.Session())
    session.trust_env = False
    with agentlog.run(session_id="conv-7") as run:
        session.get(f"{server.url}/default", timeout=10)
    agentlog.configure(output=logs.path, propagation_targets=["search.internal"])
    with agentlog.run(session_id="conv-7") as other:
        session.get(f"{server.url}/configured", timeout=10)
    session.close()
    _assert_baggage(server.one("/default"), run)
    _assert_no_baggage(server.one("/configured"), other)


@pytest.mark.parametrize(
    "url",
    ["http://api.openai.com/v1/chat/completions", "http://api.anthropic.com/v1/messages"],
)
def test_llm_providers_get_no_baggage_by_default(logs: Captured, server: Server, url: str) -> None:
    """By default a request to an LLM provider carries traceparent and X-Run-Id, never baggage."""
    proxies = {"http": server.url}
    session = requests_integration.instrument(requests.Session())
    session.trust_env = False
    with (
        httpx_integration.instrument(httpx.Client(proxy=server.url, trust_env=False)) as client,
        agentlog.run(session_id="conv-7", request_id="req-secret-ish") as run,
    ):
        client.post(url, json={})
        session.post(url, json={}, proxies=proxies, timeout=10)
    session.close()
    assert [request.target for request in server.seen] == [url, url]
    for request in server.seen:
        _assert_no_baggage(request.headers, run)
        assert "conv-7" not in str(request.headers)
        assert "req-secret-ish" not in str(request.headers)


def test_openai_and_anthropic_sdks_send_no_baggage_to_their_hosts(logs: Captured, server: Server) -> None:
    """The real SDKs over instrumented httpx2 clients: the provider hosts receive no baggage."""
    openai = pytest.importorskip("openai")
    anthropic = pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")

    def transport() -> Any:
        return httpx_integration.instrument(httpx2.Client(proxy=server.url, trust_env=False))

    chat = openai.OpenAI(base_url="http://api.openai.com/v1", api_key="test-key", http_client=transport())
    claude = anthropic.Anthropic(
        base_url="http://api.anthropic.com", api_key="test-key", http_client=transport()
    )
    with agentlog.run(session_id="conv-7") as run:
        chat.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
        claude.messages.create(
            model="claude-test", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    _assert_no_baggage(server.one("api.openai.com"), run)
    _assert_no_baggage(server.one("api.anthropic.com"), run)
