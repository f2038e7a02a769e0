"""Integrations against real servers on 127.0.0.1: httpx, requests, OpenAI and Anthropic SDKs, ASGI, WSGI."""

from __future__ import annotations

import asyncio
import io
import json
import re
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
        if self.path.endswith("/status500"):
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.endswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/after-redirect")
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
    """The request was sent from the scope whose span is *span_id*, as a client span of its own."""
    assert headers["x-run-id"] == run.run_id
    parent = propagation.extract(headers)
    assert parent is not None and parent.run_id == run.run_id
    assert parent.trace_id == run.trace_id
    assert parent.span_id is not None and parent.span_id != span_id
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", headers["traceparent"])


def _client_line(logs: Captured, fragment: str, headers: dict[str, str]) -> dict[str, Any]:
    """The HTTP library's own line for a request: it names the request's span."""
    span_id = headers["traceparent"].split("-")[2]
    found = [line for line in logs.lines() if fragment in line["event"] and line.get("span_id") == span_id]
    assert len(found) == 1, [line["event"] for line in logs.lines()]
    return found[0]


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
    line = _client_line(logs, "HTTP Request: GET", seen[0])
    assert (line["run_id"], line["tool_call_id"], line["parent_span_id"]) == (
        run.run_id,
        call.tool_call_id,
        call.span_id,
    )
    assert _client_line(logs, "HTTP Request: GET", seen[1])["parent_span_id"] == async_span


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
    line = _client_line(logs, '"GET / HTTP/1.1" 200', seen[0])  # urllib3's own line
    assert (line["logger"], line["step_id"], line["parent_span_id"]) == (
        "urllib3.connectionpool",
        1,
        step.span_id,
    )


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
    assert seen[1]["traceparent"] == f"00-{second.trace_id}-{second.span_id}-01"  # headers(): the scope
    assert logs.events("llm_result")[0]["input_tokens"] == 5
    assert _client_line(logs, "HTTP Request: POST", seen[0])["parent_span_id"] == llm.span_id


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


def _span_of(headers: dict[str, str]) -> str:
    return headers["traceparent"].split("-")[2]


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"  # nothing listens there any more


def test_each_request_gets_a_client_span_of_its_own(
    logs: Captured, recorder: tuple[str, list[dict[str, str]]]
) -> None:
    """Three requests from one scope (httpx sync and async, requests): three parent-ids, one parent span."""
    url, seen = recorder
    session = requests_integration.instrument(requests.Session())

    async def twice(client: httpx.AsyncClient) -> None:
        await client.get(f"{url}/a1")
        await client.get(f"{url}/a2")

    with (
        httpx_integration.client() as client,
        agentlog.run() as run,
        agentlog.tool_call("fan_out", {}) as call,
    ):
        client.get(f"{url}/s1")
        client.post(f"{url}/s2", json={})
        session.get(f"{url}/r1", timeout=10)

        async def main() -> None:
            async with httpx_integration.async_client() as aclient:
                await twice(aclient)

        asyncio.run(main())
        after = agentlog.current()
    session.close()
    spans = [_span_of(headers) for headers in seen]
    assert len(spans) == len(set(spans)) == 5
    assert call.span_id not in spans
    assert after is not None and after.span_id == call.span_id  # the scope's IDs are back
    for headers in seen:
        _expect_context(headers, run, call.span_id)
    fragments = ["GET " + url + "/s1", "POST " + url + "/s2", '"GET /r1 HTTP/1.1"', url + "/a1", url + "/a2"]
    for fragment, headers in zip(fragments, seen, strict=True):
        line = _client_line(logs, fragment, headers)
        assert line["parent_span_id"] == call.span_id
        assert line["tool_call_id"] == call.tool_call_id


def test_each_redirect_hop_gets_a_fresh_span(
    logs: Captured, recorder: tuple[str, list[dict[str, str]]]
) -> None:
    """A followed redirect (httpx, requests): each hop a new span ID, all under the calling scope."""
    url, seen = recorder
    session = requests_integration.instrument(requests.Session())
    with (
        httpx_integration.client(follow_redirects=True) as client,
        agentlog.run() as run,
        agentlog.step("fetch") as step,
    ):
        client.get(f"{url}/httpx/redirect")
        session.get(f"{url}/requests/redirect", timeout=10)
    session.close()
    assert len(seen) == 4
    spans = [_span_of(headers) for headers in seen]
    assert len(set(spans)) == 4
    for headers in seen:
        _expect_context(headers, run, step.span_id)
    hops = [line for line in logs.lines() if line.get("span_id") in spans and line.get("logger") == "httpx"]
    assert [line["span_id"] for line in hops] == spans[:2]
    assert {line["parent_span_id"] for line in hops} == {step.span_id}


def test_the_scopes_ids_are_restored_when_a_request_fails(
    logs: Captured, recorder: tuple[str, list[dict[str, str]]]
) -> None:
    """A refused connection or a failing response hook: no request's span stays in force afterwards."""
    url, seen = recorder
    refused = _closed_port()

    def failing_hook(response: httpx.Response) -> None:
        raise RuntimeError("the user's hook fails")

    session = requests_integration.instrument(requests.Session())
    with (
        httpx_integration.client(event_hooks={"response": [failing_hook]}) as hooked,
        httpx_integration.client() as client,
        agentlog.run(),
        agentlog.tool_call("flaky", {}) as call,
    ):
        with pytest.raises(httpx.ConnectError):
            client.get(refused)
        after_httpx = agentlog.current()
        with pytest.raises(requests.ConnectionError):
            session.get(refused, timeout=10)
        after_requests = agentlog.current()
        with pytest.raises(RuntimeError, match="user's hook"):
            hooked.get(f"{url}/hooked")
        after_hook = agentlog.current()

        async def main() -> object:
            async with httpx_integration.async_client() as aclient:
                with pytest.raises(httpx.ConnectError):
                    await aclient.get(refused)
            return agentlog.current()

        after_async = asyncio.run(main())
        agentlog.get_logger().info("back in the tool call")
    session.close()
    for after in (after_httpx, after_requests, after_hook, after_async):
        assert isinstance(after, agentlog.RunContext) and after.span_id == call.span_id
    assert logs.one("back in the tool call")["span_id"] == call.span_id
    assert len(seen) == 1  # the hooked request reached the server, with its own span
    assert _span_of(seen[0]) != call.span_id


def test_outside_a_run_requests_carry_nothing_and_change_nothing(
    recorder: tuple[str, list[dict[str, str]]],
) -> None:
    """No run: no propagation headers, no IDs put in force."""
    url, seen = recorder
    session = requests_integration.instrument(requests.Session())
    with httpx_integration.client(follow_redirects=True) as client:
        client.get(f"{url}/redirect")
        session.get(url, timeout=10)
    session.close()
    assert all("traceparent" not in headers for headers in seen)
    assert agentlog.current() is None


def test_client_span_for_any_http_library(logs: Captured, recorder: tuple[str, list[dict[str, str]]]) -> None:
    """propagation.client_span: what the integrations do, around a request made with urllib."""
    url, seen = recorder
    with agentlog.run() as run, agentlog.step("call") as step:
        headers: dict[str, str] = {}
        with propagation.client_span(headers, url=url, method="GET") as span:
            inside = agentlog.current()
            agentlog.get_logger("my.http").info("sending")
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as reply:
                span.status_code = reply.status
        after = agentlog.current()
    assert span.span_id is not None and span.span_id != step.span_id
    assert headers["traceparent"] == f"00-{run.trace_id}-{span.span_id}-01"
    assert seen[0]["traceparent"] == headers["traceparent"]
    assert inside is not None and (inside.span_id, inside.parent_span_id) == (span.span_id, step.span_id)
    assert after is not None and after.span_id == step.span_id
    sending = logs.one("sending")
    assert (sending["span_id"], sending["parent_span_id"], sending["step_id"]) == (
        span.span_id,
        step.span_id,
        1,
    )
    # inject() on its own names the scope, as it always did.
    with agentlog.run() as other:
        assert propagation.headers()["traceparent"] == f"00-{other.trace_id}-{other.span_id}-01"
    # Outside a run it does nothing, and says so with no span.
    with propagation.client_span({}) as nothing:
        assert nothing.span_id is None and agentlog.current() is None


def test_client_spans_are_opentelemetry_client_spans(recorder: tuple[str, list[dict[str, str]]]) -> None:
    """With otel_spans=True each request is a CLIENT span whose ID is the one sent, under the scope's span."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode

    url, seen = recorder
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentlog.configure(output=io.BytesIO(), otel_spans=True, tracer_provider=provider)
    session = requests_integration.instrument(requests.Session())
    with_credentials = url.replace("http://", "http://user:hunter2@")
    try:
        with httpx_integration.client() as client, agentlog.run(), agentlog.step("fetch") as step:
            client.get(f"{with_credentials}/ok?sig=abc123&q=1")
            client.get(f"{url}/status500")
            session.post(f"{url}/posted", json={}, timeout=10)
            with pytest.raises(httpx.ConnectError):
                client.get(_closed_port())
    finally:
        session.close()
        provider.shutdown()
    clients = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.CLIENT]
    assert [span.name for span in clients] == ["GET", "GET", "POST", "GET"]
    for span, headers in zip(clients, seen, strict=False):
        assert f"{span.context.span_id:016x}" == _span_of(headers)  # the downstream's parent exists
        assert f"{span.context.trace_id:032x}" == headers["traceparent"].split("-")[1]
    for span in clients:
        assert span.parent is not None and f"{span.parent.span_id:016x}" == step.span_id
    ok, failed, posted, refused = (dict(span.attributes or {}) for span in clients)
    assert ok["http.request.method"] == "GET" and ok["http.response.status_code"] == 200
    assert ok["server.address"] == "127.0.0.1" and isinstance(ok["server.port"], int)
    assert "hunter2" not in str(ok["url.full"]) and "abc123" not in str(ok["url.full"])
    assert clients[0].status.status_code == StatusCode.UNSET
    assert failed["http.response.status_code"] == 500 and failed["error.type"] == "500"
    assert clients[1].status.status_code == StatusCode.ERROR
    assert posted["http.request.method"] == "POST" and posted["http.response.status_code"] == 200
    assert refused["error.type"] == "ConnectError" and "http.response.status_code" not in refused


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
