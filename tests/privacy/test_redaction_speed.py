"""Redaction is linear: 1 MB hostile inputs finish quickly."""

from __future__ import annotations

import time

import pytest

import agentlog

MB = 1_000_000

HOSTILE = {
    "plain letters": "a" * MB,
    "jwt starts": "eyJ-" * (MB // 4),
    "jwt no dot": "eyJ" + "a" * MB,
    "jwt segments": "eyJa." * (MB // 5),
    "openai prefixes": "sk-" * (MB // 3),
    "github prefixes": "ghp_" * (MB // 4),
    "slack prefixes": "xoxb-" * (MB // 5),
    "bearer words": "bearer " * (MB // 7),
    "url no at": "://" + ":" * MB,
    "url many schemes": "a://b:c" * (MB // 7),
    "pem headers": "-----BEGIN RSA PRIVATE KEY-----" * (MB // 31),
    "pem no end": "-----BEGIN PRIVATE KEY-----" + "A" * MB,
    "digits": "1" * MB,
    "spaced digits": "1 " * (MB // 2),
    "dashed digits": "1-" * (MB // 2),
    "at signs": "a@" * (MB // 2),
    "email-ish": ("a." * 40 + "@b") * (MB // 84),
    "phone-ish": "+1 (" * (MB // 4),
    "mixed": ("x-1_2:3/@eyJ.sk-" * (MB // 16)),
    "key-value keys": "password=" * (MB // 9),
    "long key run": "a_" * (MB // 2) + "password",
    "quoted values": '"token": "' * (MB // 10),
    "separators": "password" + " " * MB,
    "backslashes": '\\"secret\\":' * (MB // 12),
    # The shapes and key=value rules added for PGP armour, bytes, URLs, queries, JWTs and Bearer tokens.
    "pgp armour no end": "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: x\n" + "A" * MB,
    "armour lines": "-----BEGIN RSA PRIVATE KEY-----\n" * (MB // 32),
    "bytes quotes": "password=b'" * (MB // 11),
    "unclosed quote": 'password="' + "a" * MB,
    "escaped quotes": '\\"password\\": \\"' * (MB // 17),
    "authority at signs": "https://" + "a@" * (MB // 2),
    "authority colons": "https://a:" + "b:" * (MB // 2),
    "query separators": "?password=" + "&" * MB,
    "query pairs": "?token=a&" * (MB // 9),
    "equals runs": "=" * MB,
    "colon key runs": "token:" * (MB // 6),
    "blank colon keys": "token : " * (MB // 8),
    "bearer letters": "Bearer " + "a" * MB,
    "bearer repeated": "Bearer " * (MB // 7),
    "bearer then a key": "bearer " + "a1" * (MB // 2) + "=b",
    "lowercase bearers": "bearer a1=b " * (MB // 12),
    "jwt headers only": "eyJhbGciOiJIUzI1NiJ9." * (MB // 21),
    "telegram-ish": "123456789:AA" * (MB // 12),
    "digit groups": "1234 5678 " * (MB // 10),
    "blanks": " " * MB,
    "unicode email-ish": ("用户." * 30 + "@") * (MB // 91),
    "arabic digits": "٠ " * (MB // 2),
    "hyphen prefixes": "sk-key-glpat-pypi-xoxb-" * (MB // 23),
    "underscore prefixes": "ghp_hf_npm_whsec_sk_live_" * (MB // 25),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_one_megabyte_hostile_input_is_scrubbed_in_linear_time(name: str) -> None:
    """Each 1 MB adversarial string is scanned whole in seconds, not hours (all shapes on).

    The bound is loose on purpose (shared CI machines); `nox -s bench` reports the times.
    """
    redactor = agentlog.Redactor(emails=True, phones=True)
    text = HOSTILE[name]
    started = time.perf_counter()
    redactor.scrub_text(text, max_chars=2 * MB)
    redactor.scrub_text(text, pii=True, max_chars=2 * MB)
    assert time.perf_counter() - started < 5.0
