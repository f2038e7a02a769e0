"""Secret key names: which field names hold a secret, whatever their value looks like.

A key is split into words (``x-api-key`` → ``x api key``, ``clientSecret`` →
``client secret``); a word or a run of words that names a secret makes the
key secret, unless a word after it says the field describes a secret rather
than holding one (``token_count``, ``secret_name``, ``password_expires``,
``api_key_id``). The lists cover the usual field names and the
authentication headers and parameters of the common vendors (``x-api-key``,
``Ocp-Apim-Subscription-Key``, ``x-functions-key``, ``X-Goog-Api-Key``,
``DD-APPLICATION-KEY``, ``x-amz-security-token``, ``X-Amz-Signature``,
``PRIVATE-TOKEN``, ``X-Vault-Token`` …).

A few names are secret only as URL query parameters (``?key=``, ``?code=``,
``?sig=``, ``?appid=``): as field names they are too common to be taken for
secrets (`query_kind`).
"""

from __future__ import annotations

import functools
import re

__all__ = ["SECRET_WORD_ENDINGS", "classify_key", "query_kind"]

_SECRET_WORDS = {
    "password": "password",
    "passwd": "password",
    "pwd": "password",
    "pw": "password",
    "pass": "password",
    "passphrase": "password",
    "passcode": "password",
    "pin": "password",
    "pincode": "password",
    "otp": "password",
    "totp": "password",
    "hotp": "password",
    "secret": "secret",
    "token": "token",
    "apikey": "api_key",
    "auth": "authorization",
    "oauth": "authorization",
    "authorization": "authorization",
    "bearer": "authorization",
    "cookie": "cookie",
    "session": "session",
    "sessionid": "session",
    "credential": "credential",
    "credentials": "credential",
    "cred": "credential",
    "creds": "credential",
    "dsn": "credential",
    "jwt": "jwt",
    "signature": "signature",
    "ssn": "ssn",
    "cvv": "card_number",
    "cvv2": "card_number",
    "cvc": "card_number",
    "passw": "password",
}
# Matched against the key with separators removed ("x-api-key" -> "xapikey"):
# a secret made of two words, neither of which is one alone ("master key").
_SECRET_COMPOUNDS = {
    "apikey": "api_key",
    "accesskey": "api_key",
    "appkey": "api_key",
    "applicationkey": "api_key",
    "subscriptionkey": "api_key",
    "functionkey": "api_key",
    "functionskey": "api_key",
    "licensekey": "api_key",
    "insertkey": "api_key",
    "querykey": "api_key",
    "writekey": "api_key",
    "adminkey": "api_key",
    "servicekey": "api_key",
    "accountkey": "api_key",
    "storagekey": "api_key",
    "sharedkey": "api_key",
    "clientkey": "private_key",
    "masterkey": "private_key",
    "dbpass": "password",
    "rootkey": "private_key",
    "deploykey": "private_key",
    "sshkey": "private_key",
    "secretkey": "secret",
    "privatekey": "private_key",
    "privkey": "private_key",
    "signingkey": "private_key",
    "encryptionkey": "private_key",
    "creditcard": "card_number",
    "cardnumber": "card_number",
    "clientsecret": "secret",
    "setcookie": "cookie",
    "connectionstring": "credential",
    "connstr": "credential",
}
# Names that are secrets only as URL query parameters: `?key=AIza…`,
# `?code=` (an OAuth authorization code), `?sig=` (an Azure SAS signature),
# `?appid=` (an OpenWeather key).
_QUERY_WORDS = {
    "key": "api_key",
    "code": "token",
    "sig": "signature",
    "appid": "api_key",
    "ticket": "token",
}
# A key whose word after the secret describes it rather than holding it
# ("token_count", "secret_name", "session_id", "password_expires") is left alone.
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
        "expired",
        "expiration",
        "ttl",
        "name",
        "names",
        "id",
        "ids",
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "env",
        "var",
        "method",
        "scheme",
        "provider",
        "required",
        "enabled",
        "hint",
        "policy",
        "version",
        "field",
        "param",
        "rotation",
        "rotated",
        "created",
        "updated",
        "at",
        "in",
        "set",
        "present",
        "valid",
        "status",
        "error",
        "errors",
        "source",
        "format",
        "prefix",
        "label",
        "ref",
        "rate",
        "ratio",
        "score",
        "percent",
        "pct",
        "total",
        "num",
    }
)
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")  # "DBPassword" -> "DB_Password", "APIToken" -> "API_Token"
_WORDS = re.compile(r"[a-z0-9]+")
_NUMBERED = re.compile(r"(?<=[a-z])[0-9]+$")  # "password2" -> "password", "pw1" -> "pw"
# A secret word may end a longer word: "adminpassword", "mysqlpassword", "csrftoken".
_SECRET_SUFFIXES = {
    "password": "password",
    "passwd": "password",
    "passphrase": "password",
    "secret": "secret",
    "token": "token",
}

SECRET_WORD_ENDINGS: frozenset[str] = frozenset(
    name[-3:] for name in (*_SECRET_WORDS, *_SECRET_COMPOUNDS, *_QUERY_WORDS)
)
"""The last (up to) three letters of every secret name: a key ending otherwise is not secret."""


def _words(key: str) -> list[str]:
    split = _CAMEL.sub(r"\1_\2", _ACRONYM.sub(r"\1_\2", key)).lower()
    return [_NUMBERED.sub("", word) for word in _WORDS.findall(split)]


def _secret_at(words: list[str]) -> tuple[int, str] | None:
    """The index of the last word that names (or ends a compound naming) a secret, and its kind."""
    found: tuple[int, str] | None = None
    for index, word in enumerate(words):
        kind = _SECRET_WORDS.get(word)
        if kind is None:
            kind = next((k for suffix, k in _SECRET_SUFFIXES.items() if word.endswith(suffix)), None)
        if kind is None:
            # A compound written as one word ("xapikey"), or ending at this word ("api" "key").
            run = "".join(words[max(0, index - 3) : index + 1])
            for compound, compound_kind in _SECRET_COMPOUNDS.items():
                if compound in word or run.endswith(compound):
                    kind = compound_kind
                    break
        if kind is not None:
            found = (index, kind)
    return found


@functools.lru_cache(maxsize=4096)
def classify_key(key: str) -> str | None:
    """Return the kind of secret a field named *key* holds, or None."""
    words = _words(key)
    found = _secret_at(words)
    if found is None:
        return None
    index, kind = found
    if _DESCRIPTIVE_WORDS.intersection(words[index + 1 :]):
        return None
    return kind


@functools.lru_cache(maxsize=1024)
def query_kind(key: str) -> str | None:
    """The kind of secret a URL query parameter named *key* holds (`?key=`, `?code=` too), or None."""
    kind = classify_key(key)
    if kind is not None:
        return kind
    words = _words(key)
    return _QUERY_WORDS.get(words[-1]) if len(words) == 1 else None
