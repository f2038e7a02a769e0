"""The pipes' lock files of these tests go to a directory of their own, not the machine's /tmp."""

from __future__ import annotations

import pytest

from agentlog import _output


@pytest.fixture(autouse=True)
def _lock_files_of_the_tests_own(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This process and every child it starts (through TMPDIR) agree on a lock directory of the test's own."""
    locks = tmp_path_factory.mktemp("locks")
    monkeypatch.setattr(_output, "LOCK_DIRECTORY", str(locks))
    monkeypatch.setenv("TMPDIR", str(locks))
