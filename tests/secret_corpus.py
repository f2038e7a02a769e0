"""Realistic secrets, and where tests hide them. None may ever reach the output."""

from __future__ import annotations

# Each entry: (kind of secret, the text that must never be written).
# Built from pieces so that this file does not itself look like a leaked key.
SECRETS: list[tuple[str, str]] = [
    ("openai", "sk-" + "proj-" + "Zx81LmQ0pR7tY3uV5wN2kJ9hG4fD6sA1bC"),
    ("anthropic", "sk-" + "ant-api03-" + "r9T2vX7qL0mN4pB8wK1zY5cH3jF6dS"),
    ("aws", "AKIA" + "Z3Q7RM4XJ2K9PL5T"),
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
    ("bearer", "Bearer " + "mF_9.B5f-4.1JqM"),
    (
        "pem",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98Wc2S0B\nQx4Zp1yMIIEogIBAAKCAQEAx\n"
        "-----END RSA PRIVATE KEY-----",
    ),
    ("url_password", "postgres://admin:" + "s3cr3t-Pa55" + "@db.internal:5432/app"),
    ("card", "4111 1111 1111 1111"),
    ("card_dashes", "5500-0000-0000-0004"),
]


# The part of each secret that must not appear anywhere (the whole secret,
# or its sensitive core where the text around it may legitimately stay).
def core(kind: str, secret: str) -> str:
    if kind == "bearer":
        return secret.split(" ", 1)[1]
    if kind == "url_password":
        return "s3cr3t-Pa55"
    if kind == "pem":
        return "MIIEowIBAAKCAQEA7bq98Wc2S0B"
    return secret


CORES = [core(kind, secret) for kind, secret in SECRETS]

PASSWORD = "correct-horse-battery-staple-42"
