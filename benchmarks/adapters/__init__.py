"""Framework adapters' overhead: each module times its framework alone and with its adapter.

Every module here defines ``measure(rounds: int) -> dict[str, float]`` with
the keys of `timing.OVERHEAD_KEYS`, built with `timing.interleaved`, and
``FRAMEWORK`` (its display name). ``bench.py`` runs them all in one process
and prints one table.
"""
