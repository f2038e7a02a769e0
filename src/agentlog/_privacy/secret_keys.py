"""Secret key names: which field names hold a secret, whatever their value looks like.

A key is split into words (``x-api-key`` → ``x api key``, ``clientSecret`` →
``client secret``); a word or a run of words that names a secret makes the
key secret, unless another word says the field describes a secret rather
than holding one (``token_count``, ``secret_name``, ``password_expires``).
"""

from __future__ import annotations

import functools
import re

__all__ = ["classify_key"]

_SECRET_WORDS = {
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "passphrase": "password",
    "secret": "secret",
    "token": "token",
    "apikey": "api_key",
    "auth": "authorization",
    "oauth": "authorization",
    "authorization": "authorization",
    "cookie": "cookie",
    "session": "session",
    "credential": "credential",
    "credentials": "credential",
    "jwt": "jwt",
    "ssn": "ssn",
    "cvv": "card_number",
    "cvc": "card_number",
}
# Matched against the key with separators removed ("x-api-key" -> "xapikey").
_SECRET_COMPOUNDS = {
    "apikey": "api_key",
    "accesskey": "api_key",
    "secretkey": "secret",
    "privatekey": "private_key",
    "signingkey": "private_key",
    "encryptionkey": "private_key",
    "creditcard": "card_number",
    "cardnumber": "card_number",
    "clientsecret": "secret",
    "setcookie": "cookie",
}
# A key that describes a secret rather than holding it ("token_count",
# "secret_name", "session_id", "password_expires") is left alone.
_DESCRIPTIVE_WORDS = frozenset(
    {
        "count",
        "counts",
        "limit",
        "limits",
        "max",
        "min",
        "usage",
        "used",
        "length",
        "len",
        "type",
        "types",
        "kind",
        "budget",
        "estimate",
        "expiry",
        "expires",
        "ttl",
        "name",
        "names",
        "id",
        "ids",
        "url",
        "uri",
        "method",
        "scheme",
        "provider",
        "required",
        "enabled",
        "hint",
        "policy",
        "version",
    }
)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_WORDS = re.compile(r"[a-z0-9]+")


@functools.lru_cache(maxsize=2048)
def classify_key(key: str) -> str | None:
    """Return the kind of secret a field named *key* holds, or None."""
    words = _WORDS.findall(_CAMEL.sub(r"\1_\2", key).lower())
    if not words or _DESCRIPTIVE_WORDS.intersection(words):
        return None
    for word in words:
        kind = _SECRET_WORDS.get(word)
        if kind is not None:
            return kind
    joined = "".join(words)
    for compound, kind in _SECRET_COMPOUNDS.items():
        if compound in joined:
            return kind
    return None
