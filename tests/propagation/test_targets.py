"""Propagation targets: where baggage may go (host names, domains, networks, URL prefixes, regexes)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

import agentlog
from agentlog.propagation import DEFAULT_PROPAGATION_TARGETS, extract, headers, inject, subprocess_env
from agentlog.propagation.targets import PropagationTargets


def _allows(targets: Any, url: object) -> bool:
    return PropagationTargets(targets).allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/x",
        "http://LOCALHOST./x",
        "http://127.0.0.1/",
        "http://127.9.9.9:1234/",
        "http://[::1]:8080/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://172.31.255.255/",
        "https://192.168.1.10/v1",
        "http://[fd00::1]/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_default_targets_allow_loopback_and_private_addresses(url: str) -> None:
    """By default baggage may go to this machine and to private-network addresses."""
    assert _allows(DEFAULT_PROPAGATION_TARGETS, url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions",
        "https://api.anthropic.com/v1/messages",
        "https://generativelanguage.googleapis.com/",
        "http://localhost.evil.example/",
        "http://127.0.0.1.nip.io/",
        "http://10.0.0.1.evil.example/",
        "http://172.32.0.1/",
        "http://8.8.8.8/",
        "http://[2001:db8::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost@evil.example/",
        "http://evil.example#@localhost/",
        "http://evil.example\\@localhost/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "not a url",
        "",
        "/relative/path",
        "http://[::1/",
    ],
)
def test_default_targets_refuse_everything_else(url: str) -> None:
    """Public hosts (LLM providers included), look-alike names, tricks and broken URLs get no baggage."""
    assert not _allows(DEFAULT_PROPAGATION_TARGETS, url)


def test_a_host_name_matches_that_host_only() -> None:
    """A bare name is one host: any scheme and port, any case, not its subdomains or look-alikes."""
    targets = PropagationTargets(["search.internal"])
    assert targets.allows("http://search.internal/q")
    assert targets.allows("https://SEARCH.internal:8443/q")
    assert not targets.allows("http://a.search.internal/")
    assert not targets.allows("http://search.internal.evil.example/")
    assert not targets.allows("http://xsearch.internal/")


def test_a_leading_dot_matches_every_host_under_a_domain() -> None:
    """``.svc.cluster.local`` matches hosts under it, not the look-alike ending."""
    targets = PropagationTargets([".svc.cluster.local"])
    assert targets.allows("http://search.agents.svc.cluster.local:8080/")
    assert not targets.allows("http://evilsvc.cluster.local/")
    assert not targets.allows("http://svc.cluster.local.evil.example/")


def test_a_network_matches_addresses_in_it() -> None:
    """CIDR networks and single addresses match IP-literal hosts only."""
    targets = PropagationTargets(["100.64.0.0/10", "2001:db8::7"])
    assert targets.allows("http://100.100.1.1/")
    assert targets.allows("http://[2001:db8::7]:9000/")
    assert not targets.allows("http://100.128.0.1/")
    assert not targets.allows("http://[2001:db8::8]/")


def test_a_url_prefix_matches_scheme_host_port_and_path_segments() -> None:
    """``https://api.internal/v1`` matches that origin and path, segment by segment."""
    targets = PropagationTargets(["https://api.internal/v1"])
    assert targets.allows("https://api.internal/v1")
    assert targets.allows("https://api.internal:443/v1/chat?x=1")
    assert not targets.allows("https://api.internal/v1beta/chat")
    assert not targets.allows("http://api.internal/v1/chat")
    assert not targets.allows("https://api.internal:8443/v1/chat")
    assert not targets.allows("https://api.internal.evil.example/v1/chat")
    assert not targets.allows("https://api.internal@evil.example/v1/chat")


def test_a_regex_is_anchored_at_the_start_of_the_url_without_credentials() -> None:
    """A compiled pattern is matched from the start of the URL, from which user:password@ is removed."""
    targets = PropagationTargets([re.compile(r"https://[a-z]+\.corp\.example(:\d+)?/")])
    assert targets.allows("https://billing.corp.example/charge")
    assert targets.allows("https://billing.corp.example:8443/charge")
    assert not targets.allows("https://evil.example/?https://billing.corp.example/")
    assert not targets.allows("https://billing.corp.example@evil.example/")


def test_star_allows_every_destination_and_empty_allows_none() -> None:
    """``["*"]`` is the explicit "everywhere"; ``[]`` sends baggage nowhere."""
    assert PropagationTargets(["*"]).allows("https://api.openai.com/v1")
    assert not PropagationTargets([]).allows("http://127.0.0.1/")


def test_an_httpx_url_object_is_read_like_its_text() -> None:
    """URL objects (httpx.URL) are matched by their text."""
    httpx = pytest.importorskip("httpx")
    assert PropagationTargets(["search.internal"]).allows(httpx.URL("http://search.internal/q"))


@pytest.mark.parametrize(
    ("targets", "error"),
    [
        ([42], TypeError),
        ([re.compile(b"x")], TypeError),
        (42, TypeError),
        ([""], ValueError),
        (["search:8080"], ValueError),
        (["has space"], ValueError),
        (["https://user:pw@api.internal/"], ValueError),
        (["https:///nohost"], ValueError),
        (["api.internal/v1"], ValueError),
    ],
)
def test_misshapen_targets_are_refused_by_configure(targets: Any, error: type[Exception]) -> None:
    """A target that is not a host, domain, network, URL prefix or compiled regex raises at configure()."""
    with pytest.raises(error):
        agentlog.configure(output=io.BytesIO(), propagation_targets=targets)


def test_one_string_is_one_target() -> None:
    """``propagation_targets="search.internal"`` is that host, not its letters."""
    assert PropagationTargets("search.internal").allows("http://search.internal/")


def _members(carrier: dict[str, str]) -> dict[str, str]:
    return dict(member.split("=", 1) for member in carrier.get("baggage", "").split(",") if member)


def test_inject_with_a_url_sends_baggage_only_to_targets() -> None:
    """inject(url=...) writes baggage for an allowed URL only; traceparent and X-Run-Id always."""
    agentlog.configure(output=io.BytesIO(), propagation_targets=["search.internal"])
    with agentlog.run(session_id="conv-1", request_id="req-1") as run:
        allowed: dict[str, str] = inject({}, url="http://search.internal/q")
        refused: dict[str, str] = inject(
            {}, url="https://api.openai.com/v1/chat/completions", baggage={"tenant": "acme"}
        )
    assert _members(allowed)["agentlog.session_id"] == "conv-1"
    assert "baggage" not in refused
    for carrier in (allowed, refused):
        assert carrier["traceparent"].split("-")[1] == run.trace_id
        assert carrier["X-Run-Id"] == run.run_id


def test_upstream_baggage_is_not_forwarded_to_a_refused_target() -> None:
    """Members received from upstream are baggage too: they stay home like agentlog's own."""
    carrier = {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "baggage": "tenant=acme,plan=gold",
    }
    with agentlog.run(parent=extract(carrier)):
        sent = headers(url="https://api.anthropic.com/v1/messages")
    assert "baggage" not in sent
    assert "acme" not in str(sent)


def test_inject_without_a_url_means_the_caller_chose_the_destination() -> None:
    """No URL (a queue, a spawned process): the run's correlation is written, as documented."""
    agentlog.configure(output=io.BytesIO(), propagation_targets=[])
    with agentlog.run(session_id="conv-1"):
        carrier: dict[str, str] = inject({})
        env = subprocess_env({})
    assert _members(carrier)["agentlog.session_id"] == "conv-1"
    assert "agentlog.session_id=conv-1" in env["BAGGAGE"]


def test_default_targets_apply_before_configure() -> None:
    """Unconfigured, the default targets are in force: a public host gets no baggage."""
    with agentlog.run(session_id="conv-1"):
        public = headers(url="https://api.openai.com/v1")
        local = headers(url="http://127.0.0.1:8000/")
    assert "baggage" not in public
    assert _members(local)["agentlog.session_id"] == "conv-1"


def test_an_inject_that_cannot_read_its_url_sends_no_baggage() -> None:
    """A URL whose text cannot be taken fails closed: no baggage, still traceparent, never an exception."""

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    with agentlog.run():
        sent = headers(url=Unprintable())
    assert "baggage" not in sent
    assert "traceparent" in sent
