"""The secret memory is a security boundary: no race, no flood, no poison, no deadlock, no hang.

Values seen under a secret key name are remembered and replaced wherever they
reappear. These tests attack the memory itself: threads switching every
microsecond around a `remember`, free text that tries to push real secrets
out or to make common words secret, a signal handler or a finalizer that logs
while the memory's lock is held, and a fork while another thread holds it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import orjson
import pytest

import agentlog
from agentlog._privacy.secret_memory import MEMORY, TIERS
from agentlog._vocabulary import STOP_REASONS

SECRET = "Pg-8812-vXq4-secret"


def _run_script(code: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run *code* in a fresh interpreter; a hang is a failed result, not a stuck test run."""
    command = [sys.executable, "-c", textwrap.dedent(code)]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(command, -1, "hung", f"no exit within {timeout} s")


def test_no_text_scrubbed_before_a_secret_was_remembered_is_served_after_it() -> None:
    """Threads switching every microsecond scrub texts while secrets are remembered: zero stale answers.

    A scrub that starts after a secret was remembered must replace it,
    whatever another thread was caching meanwhile. Each round, the main
    thread remembers a few other values (tool arguments: each starts new
    caches, so the threads are mid-scan) and then the secret the threads'
    texts hold, and lets them check for a while. The texts are short (cached)
    but slow to scan (many key=value shapes), which widens the window between
    a scan and the store of its result. Counted over 60 secrets.
    """
    redactor = agentlog.Redactor()
    current: list[tuple[str, list[str]]] = [("", [])]
    remembered: set[str] = set()
    done = threading.Event()
    leaks: list[str] = []

    def hammer(offset: int) -> None:
        index = offset
        while not done.is_set():
            secret, texts = current[0]
            if not texts:
                continue
            text = texts[index % len(texts)]
            after = secret in remembered  # read before the scrub starts
            if secret in redactor.scrub_text(text) and after:
                leaks.append(text)
            index += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    threads = [threading.Thread(target=hammer, args=(offset,)) for offset in range(4)]
    try:
        for thread in threads:
            thread.start()
        for number in range(60):
            secret = f"s3cr3t-{number:04d}-vQx9"
            current[0] = (secret, ["token x=1 key: y " * 12 + f"{secret} #{variant}" for variant in range(3)])
            for filler in range(4):
                MEMORY.remember(f"filler-{number:04d}-{filler:02d}-Zq", "tool_args", "args")
            MEMORY.remember(secret, "password")
            remembered.add(secret)
            for _ in range(50):
                for text in current[0][1]:
                    if secret in redactor.scrub_text(text):
                        leaks.append(text)
    finally:
        done.set()
        for thread in threads:
            thread.join()
        sys.setswitchinterval(interval)
    assert leaks == []


def test_free_text_cannot_push_a_real_secret_out(tmp_path: Path) -> None:
    """A secret seen under a key, then 1000 distinct token=… pairs in free text: still replaced."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    log = agentlog.get_logger()
    log.info("connecting", db_password=SECRET)
    for index in range(1000):
        log.info(f"retry token=junk{index:05d}Xy")
    log.error(f"connection with {SECRET} refused")
    assert SECRET not in path.read_text()


def test_tool_arguments_cannot_push_a_real_secret_out(tmp_path: Path) -> None:
    """A secret seen under a key, then 500 tool calls with fresh arguments: the secret is still replaced."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with agentlog.run():
        agentlog.events.tool_call("login", {"password": SECRET})
        for index in range(500):
            agentlog.events.tool_call("search", {"q": f"query text number {index}"})
        agentlog.get_logger().error(f"login with {SECRET} failed")
    assert SECRET not in path.read_text()


def test_a_secret_seen_again_and_again_is_evicted_last() -> None:
    """A secret logged on every line stays remembered while 1000 others come and go in its tier."""
    MEMORY.remember("bound-api-key-9Xq2", "api_key")
    for index in range(1000):
        MEMORY.remember(f"one-off-secret-{index:05d}", "password")
        MEMORY.remember("bound-api-key-9Xq2", "api_key")
    assert "bound-api-key-9Xq2" in dict(MEMORY.snapshot)


def test_each_tier_is_bounded_on_its_own() -> None:
    """Filling the weaker tiers past their bounds leaves every value of the strongest tier in the snapshot."""
    strong = [f"key-tier-value-{index:03d}-Q" for index in range(TIERS["key"])]
    MEMORY.remember_many([(value, "password") for value in strong], "key")
    MEMORY.remember_many([(f"text-tier-{index:05d}-Zz9", "token") for index in range(3000)], "text")
    MEMORY.remember_many([(f"args tier value {index:05d}", "tool_args") for index in range(3000)], "args")
    kept = {value for value, _ in MEMORY.snapshot}
    assert set(strong) <= kept
    assert len(kept) == TIERS["key"] + TIERS["text"] + TIERS["args"]  # the payload tier was not fed


@pytest.mark.parametrize(
    "word", sorted({*STOP_REASONS, "completed", "success", "failed", "end_turn", "tool_use"})
)
def test_common_words_never_become_secrets(tmp_path: Path, word: str) -> None:
    """password=<status word> in free text, or under a key: later lines keep the word (no poisoning)."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    log = agentlog.get_logger()
    log.info(f"login password={word}")
    log.info("login", password=word, api_key=word.upper())
    with agentlog.run() as run:
        log.info("finishing", outcome=word)
        run.finish(stop_reason=word)
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert lines[-2]["outcome"] == word
    assert lines[-1]["stop_reason"] == word


def test_password_completed_does_not_redact_a_later_completed_stop_reason(tmp_path: Path) -> None:
    """The observed poisoning: logging password=completed made every later 'completed' a marker."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    agentlog.get_logger().info("user typed password=completed")
    with agentlog.run():
        pass
    assert '"stop_reason":"completed"' in path.read_text()


def test_weak_free_text_values_are_replaced_in_place_but_not_learned() -> None:
    """password=abcdefgh (one character class) is replaced where it stands, not everywhere later."""
    redactor = agentlog.Redactor()
    assert redactor.scrub_text("password=abcdefgh") == "password=[REDACTED:password]"
    assert redactor.scrub_text("the word abcdefgh") == "the word abcdefgh"
    assert redactor.scrub_text("password=abcd3fgh9") == "password=[REDACTED:password]"
    assert redactor.scrub_text("the word abcd3fgh9") == "the word [REDACTED:password]"


def test_a_logging_call_while_the_lock_is_held_on_the_same_thread_does_not_deadlock(tmp_path: Path) -> None:
    """What a signal handler or __del__ does mid-remember: take the memory's lock again on the same thread."""
    out = tmp_path / "out.jsonl"
    result = _run_script(
        f"""
        import agentlog
        from agentlog._privacy.secret_memory import MEMORY
        agentlog.configure(output={str(out)!r})
        with MEMORY._lock:
            agentlog.get_logger().info("inside", api_key="k-9Xq2-Lm4-reentrant")
        agentlog.get_logger().info("after k-9Xq2-Lm4-reentrant")
        print("done")
        """,
        timeout=20,
    )
    assert result.stdout.strip() == "done", result.stderr
    assert "k-9Xq2-Lm4-reentrant" not in out.read_text()


def test_a_signal_handler_that_logs_secrets_during_remember_does_not_deadlock(tmp_path: Path) -> None:
    """SIGALRM every millisecond logs a secret-keyed line while the main thread remembers values."""
    out = tmp_path / "out.jsonl"
    result = _run_script(
        f"""
        import signal, agentlog
        from agentlog._privacy.secret_memory import MEMORY
        agentlog.configure(output={str(out)!r})
        log = agentlog.get_logger()
        count = finished = 0
        def handler(signum, frame):
            # Handlers nest (a tick can run inside the previous one, before its line is
            # written): the note repeats a secret whose line is written already.
            global count, finished
            count += 1
            mine = count
            log.info("tick", password=f"sig-secret-{{mine:06d}}-Xq", note=f"sig-secret-{{finished:06d}}-Xq")
            finished = max(finished, mine)
        log.info("first", password="sig-secret-000000-Xq")
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
        for index in range(3000):  # the args tier: the same lock, without pushing the handler's secrets out
            MEMORY.remember(f"main-argument-{{index:06d}}-Zq", "tool_args", "args")
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        print("done", count)
        """,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("done")
    assert int(result.stdout.split()[1]) > 0
    assert "sig-secret-" not in out.read_text()


def test_a_finalizer_that_logs_secrets_during_remember_does_not_deadlock(tmp_path: Path) -> None:
    """A collection at every allocation, inside remember() too, logs a secret field as a __del__ would."""
    out = tmp_path / "out.jsonl"
    result = _run_script(
        f"""
        import gc, agentlog
        from agentlog._privacy.secret_memory import MEMORY
        agentlog.configure(output={str(out)!r})
        log = agentlog.get_logger()
        state = {{"inside": False, "count": 0, "collections": 0}}
        class Noisy:
            def __init__(self):
                self.me = self
            def __del__(self):
                finalize()
        def finalize():
            state["collections"] += 1
            if state["inside"] or state["collections"] % 25:
                return  # one collection in 25 logs: enough of them fall inside remember()
            state["inside"] = True
            try:
                state["count"] += 1
                log.info("finalized", token=f"del-secret-{{state['count']:06d}}-Wq")
            finally:
                state["inside"] = False
        gc.callbacks.append(lambda phase, info: finalize() if phase == "start" else None)
        gc.set_threshold(1, 1, 1)
        values = [f"main-argument-{{index:06d}}-Zq" for index in range(500)]
        for value in values:
            Noisy()
            MEMORY.remember(value, "tool_args", "args")
        gc.callbacks.clear()
        gc.set_threshold(700, 10, 10)
        print("done", state["count"])
        """,
        timeout=30,
    )
    assert result.stdout.startswith("done"), result.stderr
    assert "del-secret-" not in out.read_text()


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_child_forked_while_another_thread_holds_the_lock_does_not_hang(tmp_path: Path) -> None:
    """Another thread holds the memory's lock at fork time; the child logs a secret field and exits."""
    out = tmp_path / "child.jsonl"
    result = _run_script(
        f"""
        import os, sys, threading, time, warnings
        import agentlog
        from agentlog._privacy.secret_memory import MEMORY
        held, release = threading.Event(), threading.Event()
        def hold():
            with MEMORY._lock:
                held.set()
                release.wait()
        threading.Thread(target=hold, daemon=True).start()
        held.wait()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:
            agentlog.configure(output={str(out)!r})
            agentlog.get_logger().info("child", api_key="fork-secret-9Xq2")
            agentlog.get_logger().info("echo fork-secret-9Xq2")
            os._exit(0)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                release.set()
                print("exited", os.waitstatus_to_exitcode(status))
                sys.exit(0)
            time.sleep(0.01)
        os.kill(pid, 9)
        print("hung")
        """,
    )
    assert result.stdout.strip() == "exited 0", result.stdout + result.stderr
    assert "fork-secret-9Xq2" not in out.read_text()


def test_a_cached_text_holding_a_value_remembered_later_is_scanned_again() -> None:
    """A cached answer carries over to a newer memory only when nothing remembered since is in the text."""
    redactor = agentlog.Redactor()
    holds = "connecting to vault host hv-77421-Qz as admin"
    other = "nothing to see in this line at all"
    assert redactor.scrub_text(holds) == holds and redactor.scrub_text(other) == other
    MEMORY.remember("hv-77421-Qz", "password")
    assert redactor.scrub_text(holds) == "connecting to vault host [REDACTED:password] as admin"
    assert redactor.scrub_text(other) == other
    # Many values later (past what a cached answer is checked against, and past the
    # log of additions), an answer cached before them is scanned again, not trusted.
    cached = "a line cached long before: Zk-5510-early"
    assert redactor.scrub_text(cached) == cached
    for index in range(700):
        MEMORY.remember(f"filler-{index:04d}-Xy9", "token")
    MEMORY.remember("Zk-5510-early", "token")
    assert redactor.scrub_text(cached) == "a line cached long before: [REDACTED:token]"


def test_fields_fast_path_never_serves_an_answer_from_an_older_memory() -> None:
    """scrub_fields' cache lookup takes only answers made under the memory in force."""
    redactor = agentlog.Redactor()
    fields = {"message": "retrying with Lp-3321-vKq9x after timeout"}
    assert redactor.scrub_fields(fields) == fields
    MEMORY.remember("Lp-3321-vKq9x", "password")
    assert redactor.scrub_fields(fields) == {"message": "retrying with [REDACTED:password] after timeout"}


def test_log_fields_under_secret_names_cannot_flush_a_password_given_to_a_tool(tmp_path: Path) -> None:
    """A thousand session values logged as fields leave a tool's password remembered (its own tier)."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    log = agentlog.get_logger()
    with agentlog.run():
        with agentlog.tool_call("login", {"password": SECRET}):
            pass
        for index in range(1000):
            log.info("request", session=f"sess-{index:05d}-abcdef")
        log.warning(f"retry with {SECRET}")
    assert SECRET not in path.read_text()


def test_a_password_echoed_url_encoded_or_escaped_is_scrubbed(tmp_path: Path) -> None:
    """A secret given under a key name is also replaced in its URL-encoded and repr-escaped forms."""
    import logging

    secret = "correct horse/battery's"
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with agentlog.run(), agentlog.tool_call("verify", {"passphrase": secret}):
        logging.getLogger("client").info("POST https://h/verify/correct%20horse%2Fbattery%27s 401")
        logging.getLogger("client").info("bad credential %r", secret)
    text = path.read_text()
    assert "correct%20horse%2Fbattery%27s" not in text and "battery\\'s" not in text
    assert "horse/battery" not in text


def test_secret_headers_given_as_name_value_pairs_are_replaced_and_hashed_without_them(
    tmp_path: Path,
) -> None:
    """[("X-Api-Key", key)] pairs, as HTTP clients take headers, lose the value like a mapping would."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path, capture="full")
    pairs = [("X-Api-Key", SECRET), ("Accept", "application/json")]
    with agentlog.run(metadata={"headers": pairs}), agentlog.tool_call("fetch", {"headers": pairs}):
        agentlog.get_logger().info("sending", headers=pairs)
    assert SECRET not in path.read_text()
    other = [("X-Api-Key", "another-key-entirely"), ("Accept", "application/json")]
    assert agentlog.hash_value({"headers": pairs}) == agentlog.hash_value({"headers": other})


@pytest.mark.parametrize(
    "name",
    [
        "DBPassword",
        "SMTPPassword",
        "APIToken",
        "JWTToken",
        "password2",
        "pw1",
        "apiKey2",
        "adminpassword",
        "userpasswd",
        "dbpass",
        "passw",
        "auth_header",
    ],
)
def test_more_secret_key_names_are_recognised(tmp_path: Path, name: str) -> None:
    """Acronym prefixes, numbered names, glued words and header fields name secrets too."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with agentlog.run(metadata={name: SECRET}):
        agentlog.get_logger().info("config", **{name: SECRET})
    assert SECRET not in path.read_text()


def test_a_weak_password_given_to_a_tool_is_still_remembered(tmp_path: Path) -> None:
    """A low-variety password (12121212) passed to a tool is scrubbed when the error echoes it."""
    path = tmp_path / "out.jsonl"
    agentlog.configure(output=path)
    with (
        pytest.raises(PermissionError),
        agentlog.run(),
        agentlog.tool_call("login", {"password": "12121212"}),
    ):
        raise PermissionError("login refused: 12121212 is wrong")
    assert "12121212" not in path.read_text()
