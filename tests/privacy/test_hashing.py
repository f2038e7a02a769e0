"""Canonical JSON and hashes: golden vectors, stability across processes, fallbacks."""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import subprocess
import sys
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import agentlog

# (value, canonical bytes). The bytes are the documented form (docs/hashing.md);
# the hash is SHA-256 of exactly these bytes.
GOLDEN: list[tuple[Any, bytes]] = [
    ({"query": "refund policy", "k": 3}, b'{"k":3,"query":"refund policy"}'),
    (
        {"b": [1, 2.5, None, True], "a": {"\u00e9": "\u00fc", "z": "\U0001f600"}},
        '{"a":{"z":"\U0001f600","\u00e9":"\u00fc"},"b":[1,2.5,null,true]}'.encode(),
    ),
    ("hello", b'"hello"'),
    ('line\nbreak\t"q" \x01', b'"line\\nbreak\\t\\"q\\" \\u0001"'),
    ([1.0, 1e16, 0.1, 1e-7, -0.0], b"[1.0,1e+16,0.1,1e-7,-0.0]"),
    ({"b", "a"}, b'["a","b"]'),
    (b"\x00\xff", b'"base64:AP8="'),
    (2**70, b"1180591620717411303424"),
    ((1, 2), b"[1,2]"),
    ({2: "int key", "10": "s"}, b'{"10":"s","2":"int key"}'),
    ([], b"[]"),
    ({}, b"{}"),
    (
        {"user": "bob", "password": "hunter2", "auth": {"api_key": "sk-x", "token": None}, "admin": True},
        b'{"admin":true,"auth":"[REDACTED]","password":"[REDACTED]","user":"bob"}',
    ),
    (
        [{"otp": 123456, "note": "n"}, {"Client-Secret": ["a", "b"], "pin": False}],
        b'[{"note":"n","otp":"[REDACTED]"},{"Client-Secret":"[REDACTED]","pin":false}]',
    ),
]

# Pinned digests: a change here breaks every stored hash, so it must be deliberate.
PINNED = {
    '{"k":3,"query":"refund policy"}': "543050b1645267fa975c1d6592c78c8945dade3684c2cdd2a9bc44bc6353d603",
    '"hello"': "5aa762ae383fbb727af3c7a36d4940a5b8c40a989452d2304fc958ff3f354e7a",
    '{"password":"[REDACTED]","user":"bob"}': (
        "3f7236a154ae7e739ee3b9217ca0c833dd7cce6419feed180e8c1d8b1ee6bab6"
    ),
}


@pytest.mark.parametrize(("value", "expected"), GOLDEN)
def test_golden_canonical_form(value: Any, expected: bytes) -> None:
    """The canonical bytes of each golden value are exactly the documented ones."""
    assert agentlog.canonical_json(value) == expected


@pytest.mark.parametrize(("value", "expected"), GOLDEN)
def test_hash_is_sha256_of_canonical_form(value: Any, expected: bytes) -> None:
    """hash_value is "sha256:" + SHA-256 hex of the canonical bytes."""
    assert agentlog.hash_value(value) == "sha256:" + hashlib.sha256(expected).hexdigest()


def test_pinned_digests() -> None:
    """Two digests are pinned as literal hex, independent of this code."""
    for canonical, digest in PINNED.items():
        assert agentlog.hash_value(orjson.loads(canonical)) == f"sha256:{digest}"


_PROBE = """
import json, sys, agentlog
values = json.loads(sys.stdin.read())
extra = [{"z", "a", "m", "q"}, frozenset({"x", "y"}), {"k": {"b", "a"}}]
print(json.dumps([agentlog.hash_value(v) for v in values] + [agentlog.hash_value(v) for v in extra]))
"""


def _hash_in_fresh_process(values: list[Any], seed: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        input=json.dumps(values),
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": seed, "PATH": ""},
    )
    result: list[str] = json.loads(done.stdout)
    return result


def test_hashes_are_stable_across_processes_and_hash_seeds() -> None:
    """Two fresh interpreters with different hash seeds agree (sets included)."""
    jsonable = [GOLDEN[0][0], GOLDEN[1][0], "hello", [1.0, 1e16, 0.1], 2**70, {"nested": [{"b": 1, "a": 2}]}]
    first = _hash_in_fresh_process(jsonable, "1")
    second = _hash_in_fresh_process(jsonable, "4242")
    assert first == second
    assert first[: len(jsonable)] == [agentlog.hash_value(v) for v in jsonable]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)


_KEY_KIND = agentlog.Redactor().key_kind


def _secrets_replaced(value: Any) -> Any:
    """The documented rule, plainly: a value under a secret key (not null/true/false) is "[REDACTED]"."""
    if isinstance(value, list):
        return [_secrets_replaced(item) for item in value]
    if isinstance(value, dict):
        return {
            key: "[REDACTED]"
            if _KEY_KIND(key) is not None and item is not None and not isinstance(item, bool)
            else _secrets_replaced(item)
            for key, item in value.items()
        }
    return value


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_canonical_form_round_trips(value: Any) -> None:
    """Canonical JSON parses back to the same value, secret-keyed values replaced."""
    assert orjson.loads(agentlog.canonical_json(value)) == _secrets_replaced(value)


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    return True


@settings(max_examples=300, deadline=None)
@given(json_values.filter(_no_floats))
def test_canonical_form_matches_an_independent_encoder(value: Any) -> None:
    """Without floats, the form equals json.dumps(sort_keys, no spaces, UTF-8)."""
    plain = _secrets_replaced(value)
    independent = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert agentlog.canonical_json(value) == independent.encode("utf-8")


@settings(max_examples=15, deadline=None)
@given(st.lists(json_values, min_size=5, max_size=20))
def test_any_json_value_hashes_the_same_in_a_fresh_process(values: list[Any]) -> None:
    """Property: the hash computed here equals the one a new interpreter computes."""
    assert _hash_in_fresh_process(values, "7")[: len(values)] == [agentlog.hash_value(v) for v in values]


def test_dict_key_order_does_not_matter() -> None:
    """Insertion order never changes a hash."""
    assert agentlog.hash_value({"a": 1, "b": 2}) == agentlog.hash_value({"b": 2, "a": 1})


@dataclasses.dataclass
class _Point:
    y: int
    x: int


class _Color(enum.Enum):
    RED = "red"


class _WithRepr:
    def __repr__(self) -> str:
        return "WithRepr(7)"


class _Opaque:
    pass


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_fallbacks_are_documented_and_stable() -> None:
    """Dataclasses sort their fields; enums, UUIDs, reprs and opaque objects map as documented."""
    assert agentlog.canonical_json(_Point(y=1, x=2)) == b'{"x":2,"y":1}'
    assert agentlog.canonical_json(_Color.RED) == b'"red"'
    assert agentlog.canonical_json(uuid.UUID(int=1)) == b'"00000000-0000-0000-0000-000000000001"'
    assert agentlog.canonical_json(_WithRepr()) == b'"WithRepr(7)"'
    assert agentlog.canonical_json(_Opaque()) == b'"<tests.privacy.test_hashing._Opaque>"'
    assert agentlog.canonical_json(_BadRepr()) == b'"<unrepresentable tests.privacy.test_hashing._BadRepr>"'


def test_hostile_values_hash_without_raising() -> None:
    """Cycles, lone surrogates, huge ints and odd keys hash to stable values."""
    cyclic: list[Any] = [1]
    cyclic.append(cyclic)
    assert agentlog.canonical_json(cyclic) == b'[1,"<circular>"]'
    assert agentlog.canonical_json("a\ud800b") == '"a\ufffdb"'.encode()
    assert agentlog.canonical_json({(1, 2): "tuple key"}) == b'{"(1, 2)":"tuple key"}'
    assert agentlog.canonical_json([-(2**80)]) == b"[-1208925819614629174706176]"
    assert agentlog.canonical_json(float("nan")) == b"null"
    for value in (cyclic, "a\ud800b", {(1, 2): 1}, object(), _BadRepr()):
        assert agentlog.hash_value(value).startswith("sha256:")


# -- secrets never enter a hash ---------------------------------------------------------


def test_a_password_cannot_be_recovered_from_the_args_hash_by_guessing(tmp_path: Any) -> None:
    """Hashing guesses (the right one too) as a plain encoder would never meets the line's hash."""
    path = tmp_path / "agent.jsonl"
    agentlog.configure(output=path)
    with agentlog.run(), agentlog.tool_call("login", {"user": "bob", "password": "hunter2"}):
        pass
    line = next(json.loads(raw) for raw in path.read_text().splitlines() if '"tool_call"' in raw)
    for guess in ("password", "123456", "hunter2", "letmein"):
        guessed = json.dumps({"password": guess, "user": "bob"}, sort_keys=True, separators=(",", ":"))
        assert line["args_hash"] != "sha256:" + hashlib.sha256(guessed.encode()).hexdigest()
    # The documented recipe, from outside Python, gives the line's hash.
    recipe = json.dumps({"password": "[REDACTED]", "user": "bob"}, sort_keys=True, separators=(",", ":"))
    assert line["args_hash"] == "sha256:" + hashlib.sha256(recipe.encode()).hexdigest()
    assert line["args_hash"] == agentlog.hash_value({"user": "bob", "password": "anything else"})


def test_secret_keyed_values_are_left_out_of_keyed_hashes_too() -> None:
    """With a hash key the same rule holds: one canonical form, whatever the scheme."""
    one = agentlog.hash_value({"token": "a-very-long-token-1"}, key="k")
    two = agentlog.hash_value({"token": "a-very-long-token-2"}, key="k")
    assert one == two and one.startswith("hmac-sha256:")


def test_models_and_dataclasses_lose_their_secret_fields_before_hashing() -> None:
    """A dataclass (or anything the canonical form turns into an object) is walked like a dict."""

    @dataclasses.dataclass
    class Login:
        user: str
        password: str

    assert agentlog.canonical_json(Login("bob", "hunter2")) == b'{"password":"[REDACTED]","user":"bob"}'
    assert agentlog.canonical_json({"batch": (Login("a", "p1"),)}) == (
        b'{"batch":[{"password":"[REDACTED]","user":"a"}]}'
    )


def test_configured_secret_and_allowed_keys_apply_to_the_canonical_form() -> None:
    """A redactor's secret_keys add names whose values never enter a hash; allow_keys take names out."""
    agentlog.configure(
        output=None, redactor=agentlog.Redactor(secret_keys=["customer_ref"], allow_keys=["token"])
    )
    assert agentlog.canonical_json({"customer_ref": "C-1", "token": "t"}) == (
        b'{"customer_ref":"[REDACTED]","token":"t"}'
    )


def test_a_value_without_secrets_is_hashed_as_it_is() -> None:
    """Nothing is copied or changed for a value with no secret key: the form is the plain encoder's."""
    from agentlog._privacy.hashing import without_secrets

    value = {"query": "q", "filters": {"k": [1, {"a": 2}]}, "docs": [{"id": 1}]}
    assert without_secrets(value, _KEY_KIND) is value


secret_values = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=12, max_size=20)


@settings(max_examples=200, deadline=None)
@given(
    json_values, secret_values, st.sampled_from(["password", "apiKey", "x-api-key", "client_secret", "pw"])
)
def test_a_secret_anywhere_in_the_arguments_never_reaches_the_canonical_form(
    value: Any, secret: str, key: str
) -> None:
    """Property: a secret under a secret key name, nested anywhere, is absent from the hashed bytes."""
    assume(secret.encode() not in agentlog.canonical_json(value))  # the rest does not hold it already
    placed = {"outer": [value, {"inner": {key: secret}}]}
    assert secret.encode() not in agentlog.canonical_json(placed)


def test_secrets_given_as_arguments_are_remembered_in_every_capture_mode(tmp_path: Any) -> None:
    """A password given as an argument is scrubbed from the error and a library's line, in every mode."""
    import logging

    secret = "Tr0ub4dor-and-3-more"
    for mode in ("hash", "none", "redacted", "full"):
        from agentlog import _config

        _config.reset()
        path = tmp_path / f"{mode}.jsonl"
        agentlog.configure(output=path, capture=mode)
        with (
            pytest.raises(PermissionError),
            agentlog.run(),
            agentlog.tool_call("login", {"password": secret}),
        ):
            raise PermissionError(f"login refused for password {secret}")
        logging.getLogger("vendor.sdk").warning("retrying with %s", secret)
        text = path.read_text()
        assert secret not in text, mode
        assert "[REDACTED:password]" in text, mode


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["id", "title", "score", "tags"]), st.integers() | st.text(), max_size=4
        ),
        max_size=6,
    ),
    st.integers(min_value=0, max_value=6),
    secret_values,
    st.sampled_from(["password", "apiKey", "token"]),
    st.booleans(),
)
def test_a_secret_in_a_list_of_records_never_reaches_the_canonical_form(
    records: list[dict[str, Any]], at: int, secret: str, key: str, nested: bool
) -> None:
    """Property: records whose keys are all known plain are passed over whole, but never one holding a secret.

    The records are hashed once first, so their keys are known plain; then
    one of them gets a secret, under its key name or one level down.
    """
    agentlog.canonical_json(records)  # every plain key is now known
    assume(all(secret.encode() not in agentlog.canonical_json(record) for record in records))
    placed = [dict(record) for record in records]
    target = {key: secret} if not nested else {"meta": {key: secret}}
    placed.insert(min(at, len(placed)), target)
    assert secret.encode() not in agentlog.canonical_json(placed)
    assert secret.encode() not in agentlog.canonical_json(tuple(placed))
