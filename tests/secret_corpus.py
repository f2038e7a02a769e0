"""Realistic secrets, and where tests hide them. None may ever reach the output.

Also the other side: prose and log text that looks a little like a secret and
must come out of the redactor unchanged, so that redaction never destroys
ordinary text.
"""

from __future__ import annotations

import re

# A private key's body, built from pieces so that this file does not itself look like a leaked key.
_BODY = "MIIEowIBAAKCAQEA7bq98Wc2S0B" + "Qx4Zp1yMIIEogIBAAKCAQEAx"
_PGP_BODY = "lQOYBF3kq2sBCADKx7Y1z9" + "Wm0vPq8RtLs4Hc2Nj6Bf3Dg5Ek1"

# Each entry: (kind of secret, the text that must never be written).
# Built from pieces so that this file does not itself look like a leaked key.
SECRETS: list[tuple[str, str]] = [
    ("openai", "sk-" + "proj-" + "Zx81LmQ0pR7tY3uV5wN2kJ9hG4fD6sA1bC"),
    ("anthropic", "sk-" + "ant-api03-" + "r9T2vX7qL0mN4pB8wK1zY5cH3jF6dS"),
    ("aws", "AKIA" + "Z3Q7RM4XJ2K9PL5T"),
    ("telegram_bot", "110201543:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"),
    ("github", "ghp_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2M"),
    ("github_pat", "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuv"),
    ("slack", "xoxb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOp"),
    ("google", "AIza" + "SyD4-x9Qm7L2kP0vR5tW8nB3cH6jF1gK2aE"),
    ("stripe", "sk_" + "live_" + "51HvQx2Ld8Kt9ZpQmR4sT7uV"),
    ("huggingface", "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"),
    (
        "jwt",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        + ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
        + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    # A JWT whose payload is not JSON (so not "eyJ…").
    (
        "jwt_plain_payload",
        "eyJhbGciOiJIUzI1NiJ9" + ".c29tZSBwYXlsb2FkIGhlcmU" + ".dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1g",
    ),
    ("bearer", "Bearer " + "mF_9.B5f-4.1JqM"),
    ("bearer_letters", "Bearer " + "abcdefghijklmnopqrstuv"),
    ("pem", "-----BEGIN RSA PRIVATE KEY-----\n" + _BODY + "\n-----END RSA PRIVATE KEY-----"),
    (
        "pgp",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\nComment: backup key (ops@example.com)\n\n"
        + _PGP_BODY
        + "\n=Ab1c\n-----END PGP PRIVATE KEY BLOCK-----",
    ),
    ("url_password", "postgres://admin:" + "s3cr3t-Pa55" + "@db.internal:5432/app"),
    ("url_password_with_at", "https://deploy:" + "p@ss@w0rd!" + "@git.example.com/repo.git"),
    ("url_token_user", "https://" + "x9Kq2mZp4LwT7vR1" + "@api.example.com/v1/items"),
    ("bytes_in_repr", "{'Authorization': b'Basic " + "dXNlcjpwYXNzd29yZA==" + "'}"),
    ("kv_ampersand", "password=" + "ab&cd;ef9Q"),
    ("kv_quoted_blank", 'password="' + "pa ss&wo;rd" + '"'),
    ("pass", "pass=" + "Tr0ub4dor&3"),
    ("pw", "pw: " + "Xy9-kLm2-Qr7"),
    ("pin", "pin=" + "482913"),
    ("otp", "otp=" + "739201"),
    ("master_key", "master_key=" + "mk_9f8e7d6c5b4a"),
    ("signature", "signature=" + "9f8e7d6c5b4a3f2e1d0c"),
    ("azure_apim", "Ocp-Apim-Subscription-Key: " + "4f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f"),
    ("azure_functions", "x-functions-key: " + "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA=="),
    ("datadog_app", "DD_APP_KEY=" + "8c1f0d9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d"),
    ("datadog_api", "DD_API_KEY=" + "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
    ("google_header", "X-Goog-Api-Key: " + "gk-8d7c6b5a4f3e2d1c"),
    ("aws_session", "x-amz-security-token: " + "FwoGZXIvYXdzEJr//////////wEaDH7q3"),
    ("query_appid", "GET https://api.weather.example/data?appid=" + "f81d4fae7dec11d0a765" + "&q=Paris"),
    ("query_code", "GET /callback?code=" + "4%2F0AX4XfWj9k" + "&state=xyz"),
    ("query_sig", "https://acct.blob.example.net/c/b?sv=2021-08-06&sig=" + "Zk9vQmFy%2BYmF6" + "&se=2026"),
    ("query_key", "GET https://maps.example.com/geo?key=" + "mK7q2Lp9Zx4Wv1Nb" + "&addr=x"),
    ("query_pass", "GET /login?user=bob&pass=" + "s3cr3tP4ss"),
    ("query_client_secret", "POST /token?grant_type=x&client_secret=" + "cs_9k8j7h6g5f"),
    ("query_access_token", "GET /me?fields=id&access_token=" + "at_5t4r3e2w1q"),
    ("card", "4111 1111 1111 1111"),
    ("card_dashes", "5500-0000-0000-0004"),
]

# The part of each secret that must not appear anywhere (the whole secret,
# or its sensitive core where the text around it may legitimately stay).
_CORES = {
    "bearer": "mF_9.B5f-4.1JqM",
    "bearer_letters": "abcdefghijklmnopqrstuv",
    "url_password": "s3cr3t-Pa55",
    "url_password_with_at": "p@ss@w0rd!",
    "url_token_user": "x9Kq2mZp4LwT7vR1",
    "pem": "MIIEowIBAAKCAQEA7bq98Wc2S0B",
    "pgp": _PGP_BODY,
    "bytes_in_repr": "dXNlcjpwYXNzd29yZA==",
    "kv_ampersand": "ab&cd;ef9Q",
    "kv_quoted_blank": "pa ss&wo;rd",
    "pass": "Tr0ub4dor&3",
    "pw": "Xy9-kLm2-Qr7",
    "pin": "482913",
    "otp": "739201",
    "master_key": "mk_9f8e7d6c5b4a",
    "signature": "9f8e7d6c5b4a3f2e1d0c",
    "azure_apim": "4f3c2b1a9e8d7c6b5a4f3e2d1c0b9a8f",
    "azure_functions": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==",
    "datadog_app": "8c1f0d9e7b6a5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
    "datadog_api": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "google_header": "gk-8d7c6b5a4f3e2d1c",
    "aws_session": "FwoGZXIvYXdzEJr//////////wEaDH7q3",
    "query_appid": "f81d4fae7dec11d0a765",
    "query_code": "4%2F0AX4XfWj9k",
    "query_sig": "Zk9vQmFy%2BYmF6",
    "query_key": "mK7q2Lp9Zx4Wv1Nb",
    "query_pass": "s3cr3tP4ss",
    "query_client_secret": "cs_9k8j7h6g5f",
    "query_access_token": "at_5t4r3e2w1q",
}


def core(kind: str, secret: str) -> str:
    """The part of *secret* that must never be written."""
    return _CORES.get(kind, secret)


CORES = [core(kind, secret) for kind, secret in SECRETS]


def leaks(text: str, cores: list[str] = CORES) -> list[str]:
    """The *cores* found in *text*.

    A core of digits only (an OTP) counts where it stands on its own, not
    inside a longer run of letters and digits: a timestamp's microseconds, a
    hash or an ID may hold any six digits by chance.
    """
    found = []
    for secret in cores:
        if secret.isdigit():
            if re.search(rf"(?<![0-9A-Za-z]){secret}(?![0-9A-Za-z])", text):
                found.append(secret)
        elif secret in text:
            found.append(secret)
    return found


PASSWORD = "correct-horse-battery-staple-42"

# Text that must come out of the default redactor exactly as it went in.
PROSE: list[str] = [
    "the bearer of bad news",
    "Bearer bonds were popular.",
    "The client uses the Bearer scheme.",
    "token_count=5 max_tokens=100 author=bob",
    "input_tokens: 512, output_tokens: 128",
    "exit code: 1",
    "HTTP status code=200 after 3 retries",
    "pass the salt, please",
    "a well-known long-term plan",
    "key-value stores and sk-learn models",
    "The API key is stored in the vault.",
    "Note: refunds follow a different process.",
    "Meet at 10:30:15 on 2026-01-15.",
    "order 1234 5678 9012 3456 shipped",
    "version 2.3.1 released",
    "ssh://git@github.com/org/repo.git",
    "https://example.com/search?q=climate+change&page=2",
    "email me at ann@example.com",
    "12:30:01 INFO worker-3 processed 128 items in 4.2s",
    "session_id=abc123 token_type=bearer secret_name=db",
    "completed",
    "stop_reason: end_turn",
    "the password field is required",
    "A monkey=5 and a turkey=7 walked in.",
    "SELECT * FROM users WHERE id = 42",
]

# (kind, text, the part that must not be written) for `redacted` capture mode.
PII: list[tuple[str, str, str]] = [
    ("email", "mail 用户@例子.广告 today", "用户@例子.广告"),
    ("email", "cc josé@exämple.com please", "josé@exämple.com"),
    ("email", 'to "john doe"@example.com now', '"john doe"@example.com'),
    ("email", "reply to ann.lee+tag@example.co.uk", "ann.lee+tag@example.co.uk"),
    ("phone", "call +٩٧١ ٥٠ ١٢٣ ٤٥٦٧ now", "٥٠ ١٢٣ ٤٥٦٧"),
    ("phone", "call ९८७६५४३२१० now", "९८७६५४३२१०"),
    ("phone", "call ０９０－１２３４－５６７８ now", "１２３４－５６７８"),
    ("phone", "call +1 (415) 555-0132 now", "555-0132"),
]
