"""The tests behind ``agentlog compare``, checked against SciPy, which they must match but not import.

`significance` is written from the definitions in the standard library; SciPy
(installed for the tests only) is the reference: Fisher's exact test as
``scipy.stats.fisher_exact(table, alternative="two-sided")``, Mann-Whitney U
as ``scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
method="asymptotic", use_continuity=True)``. SciPy's default method for small
samples without ties is the exact distribution, which the module does not
compute: the options are always given here.
"""

from __future__ import annotations

import ast
import math
import subprocess
import sys
import warnings
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats  # type: ignore[import-untyped]

from agentlog._explorer import significance
from agentlog._explorer.significance import (
    ALPHA,
    fisher_exact,
    larger_than_chance,
    mann_whitney_u,
    proportion_ratio,
)

REL = 1e-9
"""How close to SciPy's p-values: both sum the same terms in floating point, in different orders."""


def _scipy_fisher(a: int, b: int, c: int, d: int) -> float:
    return float(stats.fisher_exact([[a, b], [c, d]], alternative="two-sided")[1])


def _scipy_mann_whitney(x: Sequence[float], y: Sequence[float]) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SciPy warns on samples too small for its other methods
        result = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    return float(result.pvalue)


def _close(ours: float, theirs: float) -> bool:
    # Below 1e-300 the module stops summing (it returns 0.0 there), so tiny values agree absolutely.
    return math.isclose(ours, theirs, rel_tol=REL, abs_tol=1e-300)


def _exact_fisher(a: int, b: int, c: int, d: int) -> Fraction:
    """The two-sided p-value from the definition, in exact rational arithmetic (small tables only)."""
    row1, col1, total = a + b, a + c, a + b + c + d
    low, high = max(0, col1 - (c + d)), min(row1, col1)
    weight = {k: math.comb(row1, k) * math.comb(total - row1, col1 - k) for k in range(low, high + 1)}
    observed = weight[a]
    return Fraction(sum(w for w in weight.values() if w <= observed), sum(weight.values()))


# -- Fisher's exact test ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table",
    [
        (2, 48, 6, 44),
        (3, 57, 9, 51),
        (0, 60, 5, 55),
        (8, 2, 1, 5),
        (1, 9, 11, 3),
        (10, 10, 10, 10),
        (500, 500, 600, 400),
        (0, 1, 1, 0),
        (1, 0, 0, 1),
        (7, 0, 0, 7),
        (100_000, 2, 3, 100_000),
    ],
)
def test_fisher_matches_scipy_on_fixed_tables(table: tuple[int, int, int, int]) -> None:
    """A few tables of the sizes compare meets, with and without zeros, match SciPy."""
    assert _close(fisher_exact(*table), _scipy_fisher(*table))


def test_fisher_known_value() -> None:
    """The tea-tasting table [[3, 1], [1, 3]] has p = 34/70 (the textbook value)."""
    assert fisher_exact(3, 1, 1, 3) == pytest.approx(34 / 70, rel=1e-12)


@pytest.mark.parametrize("table", [(0, 0, 0, 0), (0, 0, 3, 4), (3, 4, 0, 0), (0, 5, 0, 7), (5, 0, 7, 0)])
def test_fisher_on_an_empty_row_or_column_is_one(table: tuple[int, int, int, int]) -> None:
    """With a group or an outcome that never occurs there is nothing to test: p = 1, as SciPy says."""
    assert fisher_exact(*table) == 1.0
    assert _scipy_fisher(*table) == 1.0


def test_fisher_refuses_a_negative_count() -> None:
    """A negative count is a bug upstream, not a table."""
    with pytest.raises(ValueError, match="negative"):
        fisher_exact(1, -1, 2, 3)


def test_fisher_counts_tables_exactly_as_likely_as_the_observed_one() -> None:
    """Mirror tables of two equal groups tie exactly with the observed one, and both tails count."""
    # [[2, 8], [8, 2]] and [[8, 2], [2, 8]] are equally likely: p is twice the one-sided tail.
    one_sided = float(stats.fisher_exact([[2, 8], [8, 2]], alternative="less")[1])
    assert fisher_exact(2, 8, 8, 2) == pytest.approx(2 * one_sided, rel=1e-12)
    assert fisher_exact(2, 8, 8, 2) == pytest.approx(float(_exact_fisher(2, 8, 8, 2)), rel=1e-12)


def test_fisher_counts_mirror_tables_of_large_groups() -> None:
    """Equal groups of thousands: the mirror table, thousands of steps from the mode, still counts."""
    for n, a in ((4000, 1700), (5001, 2300), (20_000, 9_700)):
        tail = float(stats.fisher_exact([[a, n - a], [n - a, a]], alternative="less")[1])
        assert fisher_exact(a, n - a, n - a, a) == pytest.approx(2 * tail, rel=REL)


def test_equal_probability_is_decided_in_integers() -> None:
    """The exact tie check: [[9, 124], [138, 23]] ties with first cell 124; its neighbours do not."""
    # Margins row1 = 133, col1 = 147, shift = row2 - col1 = 14 (see _fisher_two_sided).
    assert _exact_weight(9, 133, 147, 161) == _exact_weight(124, 133, 147, 161)
    assert significance._equally_likely(9, 124, 133, 147, 14)
    assert not significance._equally_likely(9, 123, 133, 147, 14)
    assert not significance._equally_likely(9, 125, 133, 147, 14)


def _exact_weight(k: int, row1: int, col1: int, row2: int) -> int:
    """The hypergeometric weight of the table with first cell k (up to the common denominator)."""
    return math.comb(row1, k) * math.comb(row2, col1 - k)


@settings(max_examples=300, deadline=None)
@given(st.tuples(*[st.integers(0, 12)] * 4))
def test_fisher_matches_the_exact_rational_definition(table: tuple[int, int, int, int]) -> None:
    """On small tables, p equals the definition computed with integers (no rounding at all)."""
    if 0 in (table[0] + table[1], table[2] + table[3], table[0] + table[2], table[1] + table[3]):
        assert fisher_exact(*table) == 1.0
    else:
        assert fisher_exact(*table) == pytest.approx(float(_exact_fisher(*table)), rel=1e-12)


_SIZES = st.sampled_from([3, 20, 100, 2_000, 100_000])


@st.composite
def _tables(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """2x2 tables: any counts of a drawn size, or two equal groups (where exact ties happen)."""
    size = draw(_SIZES)
    if draw(st.booleans()):
        return tuple(draw(st.integers(0, size)) for _ in range(4))  # type: ignore[return-value]
    n = draw(st.integers(1, size))
    a, c = draw(st.integers(0, n)), draw(st.integers(0, n))
    if draw(st.booleans()):
        c = n - a  # the mirror table: exactly as likely as the observed one
    return (a, n - a, c, n - c)


@settings(max_examples=400, deadline=None)
@given(_tables())
def test_fisher_matches_scipy(table: tuple[int, int, int, int]) -> None:
    """Small and large counts, zeros, equal groups and mirror tables: the p-value is SciPy's."""
    assert _close(fisher_exact(*table), _scipy_fisher(*table))


def test_fisher_work_grows_with_the_square_root_of_the_counts() -> None:
    """A hundred times the runs takes about ten times the table probabilities, not a hundred."""
    work = []
    for n in (10_000, 1_000_000):
        table = (3 * n // 10, 7 * n // 10, 31 * n // 100, 69 * n // 100)
        p, terms = significance._fisher_two_sided(*table)
        assert _close(p, _scipy_fisher(*table))
        work.append(terms)
    assert work[1] < 15 * work[0]
    assert work[1] < 30_000  # a million runs a group: tens of thousands of terms, not a million


# -- Mann-Whitney U --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], [6.0, 7.0, 8.0, 9.0, 10.0]),
        ([120.5, 98.0, 300.0, 87.25], [400.0, 512.0, 390.0, 1000.0, 95.0]),
        ([1, 1, 2, 2, 3], [2, 3, 3, 4, 4, 4]),
        ([5], [1, 2, 3, 9]),
        ([0.0] * 30 + [1.0], [0.0] * 29 + [1.0] * 2),
        (list(range(60)), [value + 7 for value in range(60)]),
    ],
)
def test_mann_whitney_matches_scipy_on_fixed_samples(x: list[float], y: list[float]) -> None:
    """Separated, overlapping, tied and single-value samples match SciPy's asymptotic p-value."""
    assert _close(mann_whitney_u(x, y), _scipy_mann_whitney(x, y))


def test_mann_whitney_is_symmetric_in_its_samples() -> None:
    """Two-sided: swapping the groups leaves p unchanged."""
    x, y = [3.0, 1.0, 4.0, 1.0, 5.0], [9.0, 2.0, 6.0, 5.0, 3.0, 5.0]
    assert mann_whitney_u(x, y) == mann_whitney_u(y, x)


def test_mann_whitney_ties_get_their_average_rank_and_shrink_the_variance() -> None:
    """With ties, p is computed from the tie-corrected variance (by hand here), not the plain one."""
    x, y = [1, 2, 2, 3], [2, 3, 3, 3, 4]
    # Ranks of the pooled 1 2 2 2 3 3 3 3 4: 1, 3 3 3, 6.5 6.5 6.5 6.5, 9; x holds 1, 3, 3, 6.5.
    u1 = (1 + 3 + 3 + 6.5) - 4 * 5 / 2
    u = max(u1, 4 * 5 - u1)
    n = 9
    ties = (3**3 - 3) + (4**3 - 4)
    sd = math.sqrt(4 * 5 / 12 * ((n + 1) - ties / (n * (n - 1))))
    expected = math.erfc((u - 4 * 5 / 2 - 0.5) / sd / math.sqrt(2))
    assert mann_whitney_u(x, y) == pytest.approx(expected, rel=1e-12)
    assert _close(mann_whitney_u(x, y), _scipy_mann_whitney(x, y))


@pytest.mark.parametrize(
    ("x", "y"),
    [([], []), ([], [1.0, 2.0]), ([1.0], []), ([7.0, 7.0], [7.0, 7.0, 7.0]), ([2.0], [2.0])],
)
def test_mann_whitney_on_empty_or_constant_samples_is_one(x: list[float], y: list[float]) -> None:
    """No sample, or every value the same: no evidence of a difference, p = 1 (SciPy gives NaN when empty)."""
    assert mann_whitney_u(x, y) == 1.0


def test_mann_whitney_constant_samples_agree_with_scipy() -> None:
    """All values equal (zero variance): SciPy says 1.0 too."""
    assert _scipy_mann_whitney([7.0, 7.0], [7.0, 7.0, 7.0]) == 1.0


def test_mann_whitney_refuses_nan() -> None:
    """NaN has no rank: it is refused rather than ranked somewhere arbitrary."""
    with pytest.raises(ValueError, match="NaN"):
        mann_whitney_u([1.0, math.nan], [2.0])


def test_mann_whitney_ranks_infinity_last() -> None:
    """An infinite latency ranks above every finite one, as SciPy ranks it."""
    x, y = [1.0, 2.0, math.inf], [1.5, 2.5, 3.5, 4.5]
    assert _close(mann_whitney_u(x, y), _scipy_mann_whitney(x, y))


_VALUES = st.one_of(
    st.integers(0, 3),  # counts that tie a lot (steps, retries)
    st.integers(0, 10_000),
    st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=80), st.lists(_VALUES, min_size=1, max_size=80))
def test_mann_whitney_matches_scipy(x: list[float], y: list[float]) -> None:
    """Any two non-empty samples, ties or none, small or large: the p-value is SciPy's."""
    assert _close(mann_whitney_u(x, y), _scipy_mann_whitney(x, y))


@settings(max_examples=20, deadline=None)
@given(st.integers(200, 3_000), st.integers(200, 3_000), st.integers(0, 2**32 - 1))
def test_mann_whitney_matches_scipy_on_large_samples(n1: int, n2: int, seed: int) -> None:
    """Thousands of runs a group, drawn skewed and shifted, as latencies are."""
    import random

    rng = random.Random(seed)
    x = [round(rng.lognormvariate(6.0, 1.0), 1) for _ in range(n1)]
    y = [round(rng.lognormvariate(6.05, 1.0), 1) for _ in range(n2)]
    assert _close(mann_whitney_u(x, y), _scipy_mann_whitney(x, y))


# -- the threshold and the ratio -------------------------------------------------------------------


def test_larger_than_chance_is_strictly_below_alpha() -> None:
    """A p-value of 0.05 is not below 0.05: within chance; anything below is larger than chance."""
    assert ALPHA == 0.05
    assert larger_than_chance(0.049_999)
    assert not larger_than_chance(0.05)
    assert not larger_than_chance(1.0)
    assert larger_than_chance(0.009, alpha=0.01)


def test_proportion_ratio_is_the_second_rate_over_the_first() -> None:
    """2/50 → 6/50 is 3×; 6/50 → 2/50 is a third; unequal groups scale by their sizes."""
    assert proportion_ratio(2, 50, 6, 50) == 3.0
    assert proportion_ratio(6, 50, 2, 50) == pytest.approx(1 / 3)
    assert proportion_ratio(1, 10, 4, 20) == 2.0
    assert proportion_ratio(3, 10, 0, 10) == 0.0


@pytest.mark.parametrize("counts", [(0, 50, 3, 50), (0, 0, 1, 2), (1, 2, 0, 0)])
def test_proportion_ratio_undefined_without_a_base(counts: tuple[int, int, int, int]) -> None:
    """No event in the first group, or a group without runs: no ratio (None), never a division by 0."""
    assert proportion_ratio(*counts) is None


@pytest.mark.parametrize("counts", [(-1, 5, 1, 5), (6, 5, 1, 5), (1, 5, 6, 5)])
def test_proportion_ratio_refuses_impossible_counts(counts: tuple[int, int, int, int]) -> None:
    """More events than runs, or a negative count, is refused."""
    with pytest.raises(ValueError, match="0 <= x <= n"):
        proportion_ratio(*counts)


# -- no NumPy, no SciPy ----------------------------------------------------------------------------


def test_the_module_imports_only_the_standard_library() -> None:
    """Read from the source: every import is of the standard library (SciPy is for these tests only)."""
    tree = ast.parse(Path(significance.__file__).read_text("utf-8"))
    imported = {
        alias.name.partition(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        (node.module or "").partition(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert imported <= set(sys.stdlib_module_names)


def test_importing_the_module_loads_neither_numpy_nor_scipy() -> None:
    """In a fresh interpreter, importing it (and agentlog with it) leaves NumPy and SciPy unloaded."""
    probe = (
        "import sys, agentlog._explorer.significance as s\n"
        "s.fisher_exact(1, 2, 3, 4); s.mann_whitney_u([1.0], [2.0])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy')))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
