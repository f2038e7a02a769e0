"""Keyed hashes: HMAC-SHA256, self-describing, stable across processes, rotatable."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
from typing import Any

import orjson
import pytest

import agentlog

ARGS = {"query": "refund policy", "k": 3}
CANONICAL = b'{"k":3,"query":"refund policy"}'
# Pinned: HMAC-SHA256 with key "test-key" over CANONICAL, and that key's id.
GOLDEN_KEY_ID = hashlib.sha256(b"agentlog-key-id:test-key").hexdigest()[:8]
GOLDEN = f"hmac-sha256:{GOLDEN_KEY_ID}:" + hmac.new(b"test-key", CANONICAL, "sha256").hexdigest()


def _tool_call_line(**configure: Any) -> dict[str, Any]:
    out = io.BytesIO()
    agentlog.configure(output=out, **configure)
    agentlog.events.tool_call("search", ARGS)
    line: dict[str, Any] = orjson.loads(out.getvalue())
    return line


def test_keyed_hash_is_hmac_sha256_with_key_id() -> None:
    """With hash_key, args_hash is hmac-sha256:<key id>:<HMAC of the canonical form>."""
    assert _tool_call_line(hash_key="test-key")["args_hash"] == GOLDEN


def test_golden_key_id_and_digest_are_pinned() -> None:
    """The key id and digest of the documented vector are fixed literals (docs/hashing.md)."""
    assert GOLDEN == "hmac-sha256:8c7b627b:06d913b30fbdc33994af83484286c5d4c33d2a739d381cccdaa7dd9ed1fea885"


def test_keyed_differs_from_plain_and_between_keys() -> None:
    """Plain, key A and key B give three different hashes and two different key ids."""
    plain = _tool_call_line()["args_hash"]
    first = _tool_call_line(hash_key="key-A")["args_hash"]
    second = _tool_call_line(hash_key=b"key-B")["args_hash"]
    assert plain.startswith("sha256:")
    assert len({plain, first, second}) == 3
    assert first.split(":")[1] != second.split(":")[1]


def test_every_hashed_field_is_keyed() -> None:
    """task_hash, args_hash, result_hash, prompt_hash and completion_hash all use the key."""
    out = io.BytesIO()
    agentlog.configure(output=out, hash_key="k")
    with agentlog.run(task="t"):
        with agentlog.tool_call("t", {"a": 1}) as call:
            call.result = [1]
        with agentlog.llm_call("m") as llm:
            llm.prompt, llm.completion = "p", "c"
    hashes = [
        value
        for line in map(orjson.loads, out.getvalue().splitlines())
        for key, value in line.items()
        if key.endswith("_hash")
    ]
    assert len(hashes) == 5
    assert all(h.startswith("hmac-sha256:") for h in hashes)


def test_hash_value_follows_the_configuration() -> None:
    """agentlog.hash_value gives what the logs contain; key=None forces plain."""
    agentlog.configure(output=io.BytesIO(), hash_key="test-key")
    assert agentlog.hash_value(ARGS) == GOLDEN
    assert agentlog.hash_value(ARGS, key=None) == "sha256:" + hashlib.sha256(CANONICAL).hexdigest()
    assert agentlog.hash_value(ARGS, key="other").startswith("hmac-sha256:")


def test_empty_key_is_rejected() -> None:
    """An empty key is a configuration error, not a silent plain hash."""
    with pytest.raises(ValueError, match="empty"):
        agentlog.configure(hash_key="")


_CHILD = """
import io, json, sys, agentlog
out = io.BytesIO()
agentlog.configure(output=out) if len(sys.argv) < 2 else agentlog.configure(output=out, hash_key=sys.argv[1])
agentlog.events.tool_call("search", {"query": "refund policy", "k": 3})
print(json.loads(out.getvalue())["args_hash"])
"""


def _child_hash(*argv: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, *argv],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "99", **(env or {})},
    )
    return done.stdout.strip()


def test_keyed_hash_is_stable_across_processes() -> None:
    """Another interpreter with the same key writes the same keyed hash."""
    assert _child_hash("test-key") == GOLDEN


def test_key_from_the_environment() -> None:
    """$AGENTLOG_HASH_KEY keys the hashes when configure() gets no key."""
    assert _child_hash(env={agentlog.HASH_KEY_ENV: "test-key"}) == GOLDEN


def test_document_recipe_recomputes_the_keyed_hash() -> None:
    """The documented recipe (canonical JSON, HMAC-SHA256, key id) matches, via json."""
    canonical = json.dumps(ARGS, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hmac.new(b"test-key", canonical, hashlib.sha256).hexdigest()
    key_id = hashlib.sha256(b"agentlog-key-id:" + b"test-key").hexdigest()[:8]
    assert f"hmac-sha256:{key_id}:{digest}" == GOLDEN
