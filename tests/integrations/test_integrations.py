"""Integrations against real servers on 127.0.0.1: httpx, requests, OpenAI and Anthropic SDKs, ASGI, WSGI."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import requests

import agentlog
from agentlog import propagation
from agentlog.integrations import httpx as httpx_integration
from agentlog.integrations import requests as requests_integration
from agentlog.integrations.asgi import AgentlogMiddleware
from agentlog.integrations.wsgi import AgentlogWSGIMiddleware
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


class _Recorder(BaseHTTPRequestHandler):
    """Records each request's headers; answers like the LLM APIs where asked."""

    seen: list[dict[str, str]]

    def _answer(self) -> None:
        self.seen.append({k.lower(): v for k, v in self.headers.items()})
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps(MESSAGE if self.path.endswith("/messages") else CHAT).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _expect_context(headers: dict[str, str], run: agentlog.Run, span_id: str | None) -> None:
    assert headers["traceparent"] == f"00-{run.trace_id}-{span_id}-01"
    assert headers["x-run-id"] == run.run_id
    parent = propagation.extract(headers)
    assert parent is not None and parent.run_id == run.run_id


def test_httpx_sync_and_async(logs: Captured, recorder: tuple[str, list[dict[str, str]]]) -> None:
    """Instrumented httpx clients send the IDs of the scope each request is made in."""
    url, seen = recorder
    client = httpx_integration.instrument(httpx.Client())
    assert httpx_integration.instrument(client) is client  # idempotent
    with agentlog.run() as run, agentlog.tool_call("search", {}) as call:
        client.get(f"{url}/sync")

    async def main() -> str | None:
        async with (
            httpx_integration.async_client() as aclient,
            agentlog.tool_call("async_search", {}) as acall,
        ):
            await aclient.get(f"{url}/async")
            return acall.span_id

    with agentlog.run() as arun:
        async_span = asyncio.run(main())
    client.close()
    assert len(seen) == 2
    _expect_context(seen[0], run, call.span_id)
    _expect_context(seen[1], arun, async_span)


def test_httpx_outside_a_run_sends_nothing(recorder: tuple[str, list[dict[str, str]]]) -> None:
    """No run, no propagation headers."""
    url, seen = recorder
    with httpx_integration.client() as client:
        client.get(url)
    assert "traceparent" not in seen[0]


def test_requests_session(logs: Captured, recorder: tuple[str, list[dict[str, str]]]) -> None:
    """An instrumented requests session sends the IDs."""
    url, seen = recorder
    session = requests_integration.instrument(requests.Session())
    requests_integration.instrument(session)
    with agentlog.run() as run, agentlog.step("retrieve") as step:
        session.get(url, timeout=10)
    session.close()
    _expect_context(seen[0], run, step.span_id)


def test_openai_sdk(logs: Captured, recorder: tuple[str, list[dict[str, str]]]) -> None:
    """The real OpenAI SDK, over an instrumented http_client and via extra_headers."""
    openai = pytest.importorskip("openai")
    httpx2 = pytest.importorskip("httpx2")
    url, seen = recorder
    client = openai.OpenAI(
        base_url=f"{url}/v1", api_key="test-key", http_client=httpx_integration.instrument(httpx2.Client())
    )
    with agentlog.run() as run, agentlog.llm_call("gpt-test", provider="openai") as llm:
        reply = client.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "hello"}]
        )
        llm.set_usage(
            reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.choices[0].finish_reason
        )
    plain = openai.OpenAI(base_url=f"{url}/v1", api_key="test-key")
    with agentlog.run() as second:
        plain.chat.completions.create(
            model="gpt-test",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers=propagation.headers(),
        )
    _expect_context(seen[0], run, llm.span_id)
    _expect_context(seen[1], second, second.span_id)
    assert logs.events("llm_result")[0]["input_tokens"] == 5


def test_anthropic_sdk(logs: Captured, recorder: tuple[str, list[dict[str, str]]]) -> None:
    """The real Anthropic SDK over an instrumented http_client."""
    anthropic = pytest.importorskip("anthropic")
    httpx2 = pytest.importorskip("httpx2")
    url, seen = recorder
    client = anthropic.Anthropic(
        base_url=url, api_key="test-key", http_client=httpx_integration.instrument(httpx2.Client())
    )
    with agentlog.run() as run, agentlog.llm_call("claude-test", provider="anthropic") as llm:
        client.messages.create(
            model="claude-test", max_tokens=16, messages=[{"role": "user", "content": "hello"}]
        )
    _expect_context(seen[0], run, llm.span_id)


def _asgi_app_calls() -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        agentlog.get_logger("asgi.app").info("serving", path=scope["path"])
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_asgi_middleware_under_uvicorn(logs: Captured) -> None:
    """A real uvicorn server on 127.0.0.1: the request is a child run of the caller's run."""
    uvicorn = pytest.importorskip("uvicorn")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(AgentlogMiddleware(_asgi_app_calls()), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with agentlog.run() as caller, agentlog.tool_call("remote", {}) as call:
            response = httpx.get(
                f"http://127.0.0.1:{port}/items", headers={**propagation.headers(), "X-Request-Id": "req-42"}
            )
    finally:
        server.should_exit = True
        thread.join(10)
    callee_run = response.headers["x-run-id"]
    started = next(x for x in logs.events("run_started") if x["run_id"] == callee_run)
    assert started["trace_id"] == caller.trace_id
    assert started["parent_run_id"] == caller.run_id
    assert started["parent_span_id"] == call.span_id
    assert started["request_id"] == "req-42"
    assert logs.one("serving")["run_id"] == callee_run
    finished = next(x for x in logs.events("run_finished") if x["run_id"] == callee_run)
    assert finished["http_status"] == 200


def test_wsgi_middleware_under_wsgiref(logs: Captured) -> None:
    """A real wsgiref server on 127.0.0.1: the request is a child run; streamed body inside it."""

    def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        agentlog.get_logger("wsgi.app").info("streaming")
        yield b"chunk-1"
        agentlog.get_logger("wsgi.app").info("still streaming")
        yield b"chunk-2"

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

    server = make_server("127.0.0.1", 0, AgentlogWSGIMiddleware(app), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with agentlog.run() as caller:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.server_port}/stream", headers=propagation.headers()
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body, callee_run = response.read(), response.headers["X-Run-Id"]
    finally:
        server.shutdown()
        server.server_close()
    assert body == b"chunk-1chunk-2"
    started = next(x for x in logs.events("run_started") if x["run_id"] == callee_run)
    assert started["parent_run_id"] == caller.run_id
    assert logs.one("still streaming")["run_id"] == callee_run
    finished = next(x for x in logs.events("run_finished") if x["run_id"] == callee_run)
    assert finished["status"] == "ok"
    assert finished["http_status"] == 200
