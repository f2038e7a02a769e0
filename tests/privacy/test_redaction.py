"""Secrets never reach the output: in any field, any capture mode, any format."""

from __future__ import annotations

import io
import logging
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from agentlog import events
from tests.secret_corpus import CORES, PASSWORD, PII, PROSE, SECRETS, leaks

FORMATS = ["json", "ecs", "datadog", "console"]
MODES = ["hash", "redacted", "full", "none"]


def _leaks(output: bytes) -> list[str]:
    return leaks(output.decode("utf-8"))


def _everywhere(secret: str) -> None:
    """Hide *secret* in every place a user could put it."""
    log = agentlog.get_logger("app")
    args = {"query": f"look up {secret}", "nested": {"deeper": [secret, {"note": secret}]}}
    with agentlog.run(task=f"task with {secret}", metadata={"prompt_version": "v1", "note": secret}):
        with agentlog.step("tool"):
            try:
                with agentlog.tool_call("search", args) as call:
                    call.result = {"echo": secret}
                    raise ConnectionError(f"upstream rejected {secret}")
            except ConnectionError:
                log.exception("tool failed", detail=secret)
        with agentlog.llm_call("m") as llm:
            llm.prompt = [{"role": "user", "content": secret}]
            llm.completion = f"answer {secret}"
        logging.getLogger("httpx").warning("request failed: %s", secret, extra={"header": secret})
        log.info(f"free text {secret}", payload={"list": [secret]})
        events.decision("policy_block", "blocked", reason=f"found {secret}")
        events.tool_result("search", error_message=f"bad {secret}", result=[secret])


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", MODES)
def test_secret_corpus_never_leaks(fmt: str, mode: str) -> None:
    """Every corpus secret, everywhere, in every capture mode and format: zero leaks."""
    out = io.BytesIO()
    agentlog.configure(output=out, format=fmt, capture=mode)  # type: ignore[arg-type]
    for _, secret in SECRETS:
        _everywhere(secret)
    assert _leaks(out.getvalue()) == []
    assert b"[REDACTED:" in out.getvalue()
    if fmt == "json":
        lines = [orjson.loads(line) for line in out.getvalue().splitlines()]
        assert sum(line["event"] == "run_finished" for line in lines) == len(SECRETS)


def test_markers_name_the_kind() -> None:
    """Markers say what was removed: api_key, jwt, card_number, url_credentials."""
    redactor = agentlog.Redactor()
    text = " | ".join(secret for _, secret in SECRETS)
    clean = redactor.scrub_text(text)
    for kind in ("api_key", "jwt", "bearer_token", "private_key", "url_credentials", "card_number"):
        assert f"[REDACTED:{kind}]" in clean
    assert "postgres://[REDACTED:url_credentials]@db.internal:5432/app" in clean


def test_marker_never_repeats_part_of_the_secret() -> None:
    """No fragment of 6 characters of any corpus secret survives next to its marker."""
    redactor = agentlog.Redactor()
    leaked = []
    for (kind, secret), secret_core in zip(SECRETS, CORES, strict=True):
        clean = redactor.scrub_text(f"value: {secret} end")
        fragments = {secret_core[i : i + 6] for i in range(len(secret_core) - 5)}
        leaked += [(kind, f) for f in fragments if f in clean and f.strip() and f not in "value: end"]
    assert leaked == []


@pytest.mark.parametrize("text", PROSE)
def test_prose_that_looks_a_little_like_a_secret_is_left_alone(text: str) -> None:
    """Words like bearer, key, pass, token_count, code: and ordinary URLs stay as they are."""
    assert agentlog.Redactor().scrub_text(text) == text


@pytest.mark.parametrize(("kind", "text", "private"), PII)
def test_redacted_mode_finds_emails_and_phones_in_any_script(kind: str, text: str, private: str) -> None:
    """Internationalised and quoted emails, phones in Arabic-Indic, Devanagari or fullwidth digits."""
    clean = agentlog.Redactor().scrub_text(text, pii=True)
    assert private not in clean
    assert f"[REDACTED:{kind}]" in clean


def test_redacted_capture_removes_pii_in_any_script(tmp_path: Path) -> None:
    """Through capture="redacted": every PII example of the corpus, in arguments, is gone."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, capture="redacted")
    events.tool_call("notify", {"notes": [text for _, text, _ in PII]})
    raw = path.read_text("utf-8")
    assert [private for _, _, private in PII if private in raw] == []


@pytest.mark.parametrize(
    "key",
    ["password", "db_password", "apiKey", "x-api-key", "Authorization", "client_secret", "access_token",
     "refreshToken", "cookie", "Set-Cookie", "private_key", "credentials", "ssn", "credit_card", "session",
     "jwt", "auth", "pass", "pw", "pin", "otp", "passcode", "master_key", "signature", "id_token",
     "Ocp-Apim-Subscription-Key", "x-functions-key", "DD_APP_KEY", "DD-APPLICATION-KEY", "DD_API_KEY",
     "X-Goog-Api-Key", "x-amz-security-token", "X-Amz-Signature", "X-Amz-Credential", "PRIVATE-TOKEN",
     "X-Vault-Token", "X-Shopify-Access-Token", "X-Algolia-API-Key", "Proxy-Authorization", "AccountKey",
     "SharedAccessKey", "x-license-key", "X-Insert-Key", "writeKey", "sessionid", "connectionString", "dsn"],
)  # fmt: skip
def test_secret_key_names_are_redacted(key: str) -> None:
    """A field named like a secret is replaced whole, at any depth."""
    redactor = agentlog.Redactor()
    assert redactor.scrub({key: "hunter2hunter2"}) == {key: f"[REDACTED:{redactor.key_kind(key)}]"}
    assert "hunter2" not in str(redactor.scrub({"outer": [{key: {"v": "hunter2hunter2"}}]}))


@pytest.mark.parametrize(
    "key",
    ["input_tokens", "max_tokens", "token_count", "session_id", "secret_name", "author", "tokens",
     "token_type", "api_key_id", "password_expires", "pass_rate", "pass_at_1", "key", "code", "bypass",
     "refresh_token_expires_in", "signature_version", "monkey", "passive"],
)  # fmt: skip
def test_descriptive_keys_are_kept(key: str) -> None:
    """Keys that describe secrets (counts, names, IDs) keep their values."""
    assert agentlog.Redactor().scrub({key: 1234567}) == {key: 1234567}


def test_secret_seen_under_a_key_is_scrubbed_when_it_reappears(tmp_path: Path) -> None:
    """The password argument, echoed later in an error message, is scrubbed there too."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, capture="redacted")
    with agentlog.run():
        try:
            with agentlog.tool_call("login", {"user": "ann", "password": PASSWORD}):
                raise PermissionError(f"login failed for ann with {PASSWORD}")
        except PermissionError:
            pass
        logging.getLogger("auth").info("retrying with %s", PASSWORD)
    raw = path.read_text()
    assert PASSWORD not in raw
    assert raw.count("[REDACTED:password]") >= 3


def test_remembered_secret_from_a_log_field(tmp_path: Path) -> None:
    """A secret logged under a secret key in a structlog line is remembered too."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    log = agentlog.get_logger()
    log.info("connecting", db_password="pg-pass-8812")
    log.error("connection string postgres://u@h?pw=pg-pass-8812 refused")
    assert "pg-pass-8812" not in path.read_text()


def test_secret_under_a_key_is_scrubbed_elsewhere_in_the_same_line(tmp_path: Path) -> None:
    """A value under a secret key is replaced in the line's other fields and message, whatever their order."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    log = agentlog.get_logger()
    value = "zq9-unique-value-7781"
    log.info("warm the caches", note=f"contains {value}", other={"deep": value})
    log.info(f"auth with {value}", note=f"contains {value}", api_key=value, after=f"and {value}")
    other = "bridge-unique-value-5521"
    logging.getLogger("sdk").info("warm %s", other, extra={"note": f"has {other}"})
    logging.getLogger("sdk").info("auth with %s", other, extra={"note": f"has {other}", "api_key": other})
    fresh = "kw7-another-unique-value-4410"
    redactor = agentlog.Redactor()
    redactor.scrub({"note": f"uses {fresh}"})
    assert redactor.scrub({"note": f"uses {fresh}", "token": fresh})["note"] == "uses [REDACTED:token]"
    lines = path.read_text().splitlines()
    # Before each value is seen under a secret key, it is not known to be a secret.
    assert value in lines[0]
    assert other in lines[2]
    assert value not in lines[1]
    assert other not in lines[3]


def test_luhn_invalid_numbers_are_kept() -> None:
    """Order numbers and IDs that fail the Luhn check stay readable."""
    redactor = agentlog.Redactor()
    assert redactor.scrub_text("order 1234 5678 9012 3456 shipped") == "order 1234 5678 9012 3456 shipped"
    assert redactor.scrub_text("card 4111111111111111 declined") == "card [REDACTED:card_number] declined"


def test_digits_inside_a_word_are_no_card_number() -> None:
    """A UUID whose digit groups pass the Luhn check (a run ID logged as a value) stays whole.

    `7905-4233-8871-705` inside this UUID passes Luhn; the letter right after
    it makes it part of the ID. It was redacted about once in 4,000 UUIDs.
    """
    redactor = agentlog.Redactor()
    run_id = "80dbc0c7-7905-4233-8871-705a8318ef22"
    assert redactor.scrub_text(run_id) == run_id
    assert redactor.scrub_text(f"run {run_id} done") == f"run {run_id} done"
    assert redactor.scrub_text("4111-1111-1111-1111a") == "4111-1111-1111-1111a"
    assert redactor.scrub_text("x 4111-1111-1111-1111.") == "x [REDACTED:card_number]."


@settings(max_examples=3000, deadline=None)
@given(st.uuids())
def test_no_uuid_is_ever_a_card_number(value: uuid.UUID) -> None:
    """Run, trace and request IDs logged as values are never mistaken for cards, in any case."""
    redactor = agentlog.Redactor()
    for text in (str(value), str(value).upper(), value.hex):
        assert redactor.scrub_text(text) == text


def test_emails_and_phones_are_optional() -> None:
    """Emails and phone numbers are replaced only when asked (or in redacted capture)."""
    text = "contact ann.lee@example.com or +1 (415) 555-0132"
    assert agentlog.Redactor().scrub_text(text) == text
    clean = agentlog.Redactor(emails=True, phones=True).scrub_text(text)
    assert clean == "contact [REDACTED:email] or [REDACTED:phone]"


def test_custom_patterns_allow_and_deny_keys() -> None:
    """Users add shapes, allow-list keys and mark their own keys secret."""
    redactor = agentlog.Redactor(
        patterns={"employee_id": r"EMP-[0-9]{6}"}, allow_keys=["token"], secret_keys=["pin_code"]
    )
    assert redactor.scrub_text("badge EMP-004211 scanned") == "badge [REDACTED:employee_id] scanned"
    assert redactor.scrub({"token": "visible", "pin_code": "123456"}) == {
        "token": "visible",
        "pin_code": "[REDACTED:secret]",
    }


def test_a_misshapen_configuration_is_a_clear_error_or_taken_as_meant() -> None:
    """Patterns as a list is a TypeError saying the shape; one key as a string is that key."""
    with pytest.raises(TypeError, match="patterns must map a name to a regular expression"):
        agentlog.Redactor(patterns=[r"EMP-[0-9]{6}"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="allow_keys must be key names"):
        agentlog.Redactor(allow_keys=[1])  # type: ignore[list-item]
    redactor = agentlog.Redactor(allow_keys="token", secret_keys="pin")
    assert redactor.scrub({"token": "visible", "pin": "1234", "t": "x"}) == {
        "token": "visible",
        "pin": "[REDACTED:secret]",
        "t": "x",
    }


def test_callback_rewrites_strings() -> None:
    """A callback sees each string (with its key) after built-in redaction."""
    redactor = agentlog.Redactor(callback=lambda key, text: text.replace("ACME", "[client]"))
    assert redactor.scrub({"note": "ACME renewal"}) == {"note": "[client] renewal"}


def test_callback_that_raises_fails_closed(tmp_path: Path) -> None:
    """A throwing callback redacts the value; the event is still written; counted once."""

    def broken(key: str | None, text: str) -> str:
        raise RuntimeError("bug in user callback")

    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, redactor=agentlog.Redactor(callback=broken))
    agentlog.get_logger().info("hello", note="private note")
    line = orjson.loads(path.read_bytes())
    assert line["note"] == "[REDACTED:callback_error]"
    assert line["event"] == "[REDACTED:callback_error]"
    assert agentlog.problems()["redaction callback raised; value redacted"] >= 1


def test_redact_processor_for_own_chains() -> None:
    """agentlog.processors.redact cleans events in an application's own chain."""
    out = io.BytesIO()
    structlog.configure(
        processors=[
            agentlog.processors.add_ids,
            agentlog.processors.redact,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(out),
    )
    with agentlog.run() as run:
        structlog.get_logger().info(f"key {SECRETS[0][1]}", api_key="abc123456", ok="fine")
    lines = [orjson.loads(x) for x in out.getvalue().splitlines()]
    mine = next(line for line in lines if line["event"].startswith("key"))
    assert mine["event"] == "key [REDACTED:api_key]"
    assert mine["api_key"] == "[REDACTED:api_key]"
    assert mine["run_id"] == run.run_id
    assert SECRETS[0][1] not in out.getvalue().decode()


def test_exception_stack_is_redacted_and_has_no_locals(tmp_path: Path) -> None:
    """error_stack is written once, at the innermost scope, redacted, without locals."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    secret = SECRETS[0][1]

    def tool() -> None:
        local_only = "local-variable-value-9931"  # noqa: F841 - must never be written
        raise ValueError(f"key {secret} rejected")

    with pytest.raises(ValueError), agentlog.run(), agentlog.step("tool"), agentlog.tool_call("t", {}):
        tool()
    lines = [orjson.loads(x) for x in path.read_bytes().splitlines()]
    with_stack = [line["event"] for line in lines if "error_stack" in line]
    assert with_stack == ["tool_result"]
    result = next(line for line in lines if line["event"] == "tool_result")
    assert "in tool" in result["error_stack"]
    assert "[REDACTED:api_key]" in result["error_stack"]
    raw = path.read_text()
    assert secret not in raw
    assert "local-variable-value-9931" not in raw


def test_user_fields_cannot_smuggle_secrets_past_the_schema(tmp_path: Path) -> None:
    """Secrets in clashing fields (kept under extra) are redacted too."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with agentlog.run():
        events.decision("route", "x", run_id=SECRETS[2][1], password="p4ssw0rd!!")
    line: dict[str, Any] = orjson.loads(path.read_bytes().splitlines()[1])
    assert line["extra"]["run_id"] == "[REDACTED:api_key]"
    assert line["password"] == "[REDACTED:password]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "connect failed: password=hunter22 user=admin",
            "connect failed: password=[REDACTED:password] user=admin",
        ),
        (
            'body {"password": "hunter22", "user": "x"}',
            'body {"password": "[REDACTED:password]", "user": "x"}',
        ),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: [REDACTED:authorization]"),
        ("GET /cb?api_key=abc123xyz&page=2", "GET /cb?api_key=[REDACTED:api_key]&page=2"),
        ("DD_API_KEY=0123456789abcdef", "DD_API_KEY=[REDACTED:api_key]"),
        ("token_count=5 max_tokens=100 author=bob", "token_count=5 max_tokens=100 author=bob"),
        ("the bearer of bad news", "the bearer of bad news"),
        # Where a value ends: at the blank in free text, at & ; # in a query, at ; in a connection string.
        ("password=ab&cd;ef next", "password=[REDACTED:password] next"),
        ("GET /x?password=ab&cd=1", "GET /x?password=[REDACTED:password]&cd=1"),
        (
            '<a href="/m?a=1&amp;key=Zq9x7Lm2&amp;b=2">',
            '<a href="/m?a=1&amp;key=[REDACTED:api_key]&amp;b=2">',
        ),
        ("Server=db;Password=ab&cd;Database=app", "Server=db;Password=[REDACTED:password];Database=app"),
        ('password="pa ss&wo;rd" user=x', 'password="[REDACTED:password]" user=x'),
        ("token='it is secret' next", "token='[REDACTED:token]' next"),
        ('{\\"secret\\": \\"xyz-123\\"}', '{\\"secret\\": \\"[REDACTED:secret]\\"}'),
        ('"pin": 1234, "n": 2', '"pin": [REDACTED:password], "n": 2'),
        ("password: null and token=None", "password: null and token=None"),
        ("{'Authorization': b'Basic dXNlcjpwYXNz'}", "{'Authorization': b'[REDACTED:authorization]'}"),
        ("Cookie: sid=abc; csrftoken=def", "Cookie: [REDACTED:cookie]"),
        ('password="never closed and more', 'password="[REDACTED:password]'),
        ("https://user:p@ss@host/x", "https://[REDACTED:url_credentials]@host/x"),
        ("https://ghtoken123456@host/x", "https://[REDACTED:url_credentials]@host/x"),
        ("git clone ssh://git@github.com/o/r", "git clone ssh://git@github.com/o/r"),
        ("Bearer abcdefghijklmnopqrstuv", "Bearer [REDACTED:bearer_token]"),
        ("BEARER abc.def-123", "BEARER [REDACTED:bearer_token]"),
    ],
)
def test_key_value_pairs_inside_text(text: str, expected: str) -> None:
    """Secrets written as key=value or "key": "value" inside text are replaced; prose stays."""
    assert agentlog.Redactor().scrub_text(text) == expected


@pytest.mark.parametrize(
    "name", ["pass", "key", "appid", "code", "access_token", "sig", "client_secret", "apikey", "token"]
)
def test_secret_query_parameters_of_a_request_line(name: str) -> None:
    """An HTTP client's request line: a secret query parameter is replaced, the others stay."""
    line = f"GET https://api.example.com/v1/data?q=weather&{name}=Zq9x7Lm2Kp&page=2 200 OK"
    clean = agentlog.Redactor().scrub_text(line)
    assert "Zq9x7Lm2Kp" not in clean
    assert clean.startswith("GET https://api.example.com/v1/data?q=weather&")
    assert clean.endswith("&page=2 200 OK")


def test_a_private_key_logged_line_by_line_is_removed() -> None:
    """BEGIN line in one string, base64 body lines in the next ones, END line last: no body line written."""
    redactor = agentlog.Redactor()
    body = [("MIIEowIBAAKCAQEA7bq98Wc2S0BQx4Zp1y" * 2)[:60] + f"{index:04d}" for index in range(3)]
    lines = ["-----BEGIN RSA PRIVATE KEY-----", *body, "Zp1yMIIEog==", "-----END RSA PRIVATE KEY-----"]
    clean = [redactor.scrub_text(line) for line in lines]
    assert [line for line in clean if line.startswith(("MIIE", "Zp1y"))] == []
    assert clean[-1] == "-----END RSA PRIVATE KEY-----"
    assert redactor.scrub_text("after the key, plain text again") == "after the key, plain text again"


def test_a_pem_body_line_alone_is_removed() -> None:
    """A single 64-character base64 line of mixed case and digits, logged alone, is a key's body line."""
    line = ("MIIEowIBAAKCAQEA7bq98Wc2S0BQx4Zp1y" * 2)[:64]
    assert agentlog.Redactor().scrub_text(line) == "[REDACTED:private_key]"
    assert agentlog.Redactor().scrub_text("a" * 64) == "a" * 64


def test_secrets_in_dict_keys_and_bytes_are_found() -> None:
    """A secret used as a dict key, or inside bytes, is replaced too."""
    secret = SECRETS[0][1]
    clean = agentlog.Redactor().scrub(
        {secret: 1, "raw": secret.encode(), "nested": [b"x " + secret.encode()]}
    )
    assert secret not in str(clean)
    assert clean["raw"] == "[REDACTED:api_key]"


def test_decision_outcome_and_stop_reason_are_redacted(tmp_path: Path) -> None:
    """Free-text fields agentlog writes (outcome, stop_reason) are scrubbed too."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    secret = SECRETS[2][1]
    with agentlog.run() as run:
        events.decision("route", f"to {secret}")
        run.finish(stop_reason=f"key {secret} revoked")
    assert secret not in path.read_text()


def test_typed_events_are_redacted_before_reaching_an_unconfigured_structlog_chain() -> None:
    """Without configure(), an app's own chain may not redact: agentlog hands it clean values."""
    captured: list[dict[str, Any]] = []

    def keep(logger: object, method: str, event_dict: Any) -> Any:
        captured.append(dict(event_dict))
        raise structlog.DropEvent

    structlog.configure(processors=[keep])
    secret = SECRETS[0][1]
    with pytest.raises(ValueError), agentlog.run(), agentlog.tool_call("t", {}):
        raise ValueError(f"rejected key {secret}")
    events.decision("route", "x", reason=f"saw {secret}", note=secret)
    assert secret not in repr(captured)
    assert any("[REDACTED:api_key]" in repr(entry) for entry in captured)
