"""Properties of the redactor, over generated secrets and generated text around them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import agentlog
from tests.secret_corpus import PROSE, SECRETS

_TOKEN = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_"
# Secrets as people pick and systems issue them: at least one letter and one digit.
secrets = st.text(alphabet=_TOKEN, min_size=8, max_size=40).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s) and len(set(s)) >= 4
)
_WORDS = ["the", "agent", "called", "a", "tool", "and", "it", "failed", "with", "value", "for", "user", "in"]
prose = st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join)
punctuation = st.sampled_from(["", " ", ", ", ". ", ": ", " (", ") ", "\n", "'", '"'])
KEYS = [
    "password",
    "api_key",
    "token",
    "client_secret",
    "X-Api-Key",
    "db_pwd",
    "Authorization",
    "pass",
    "otp",
]
SEPARATORS = ["=", ": ", " = ", '": "', "='", ":"]


def _marker_text() -> str:
    return "[REDACTED:password][REDACTED:api_key][REDACTED:token][REDACTED:secret][REDACTED:authorization]"


def _fragments_left(clean: str, secret: str, context: str) -> list[str]:
    """6-character pieces of *secret* in *clean* that the text around it does not explain."""
    pieces = {secret[index : index + 6] for index in range(len(secret) - 5)}
    return sorted(
        piece for piece in pieces if piece in clean and piece not in context and piece not in _marker_text()
    )


@settings(max_examples=200, deadline=None)
@given(secret=secrets, before=prose, after=prose, left=punctuation, right=punctuation)
def test_a_remembered_secret_never_reappears(
    secret: str, before: str, after: str, left: str, right: str
) -> None:
    """Once seen under a secret key, a secret is replaced in any text around it, wherever it sits."""
    redactor = agentlog.Redactor()
    redactor.scrub({"password": secret})
    clean = redactor.scrub_text(f"{before}{left}{secret}{right}{after}")
    assert secret not in clean


@settings(max_examples=300, deadline=None)
@given(
    secret=secrets,
    key=st.sampled_from(KEYS),
    separator=st.sampled_from(SEPARATORS),
    before=prose,
    after=prose,
)
def test_a_key_value_secret_in_free_text_leaves_no_fragment(
    secret: str, key: str, separator: str, before: str, after: str
) -> None:
    """For any secret key, separator and prose around it: no 6 characters of the value survive."""
    closing = {'": "': '"', "='": "'"}.get(separator, "")
    text = f"{before} {key}{separator}{secret}{closing} {after}"
    clean = agentlog.Redactor().scrub_text(text)
    context = f"{before} {key}{separator} {after}"
    assert _fragments_left(clean, secret, context) == []


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from([*_WORDS, "key", "bearer", "code", "pass", "token", "secret"]), max_size=30
    )
)
def test_prose_is_written_as_it_is(words: list[str]) -> None:
    """Sentences of ordinary words (key, bearer, pass, token and secret among them) come out unchanged."""
    text = " ".join(words) + "."
    assert agentlog.Redactor().scrub_text(text) == text


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from([secret for _, secret in SECRETS]), st.sampled_from(PROSE), prose),
        min_size=1,
        max_size=6,
    )
)
def test_scrubbing_twice_changes_nothing_more(parts: list[str]) -> None:
    """A scrubbed text scrubbed again is the same text: markers are never scrubbed into something else."""
    redactor = agentlog.Redactor()
    once = redactor.scrub_text(" ".join(parts))
    assert redactor.scrub_text(once) == once
