"""Whether a difference between two groups of runs is larger than chance, for ``agentlog compare``.

``agentlog compare`` sets two groups of runs side by side (``prompt_version``
v7 against v8, say) and must not call noise a change. Two kinds of figure
differ between groups, and each has its test here:

- A rate — runs that failed, that hit a tool error, that ended on a given
  stop reason — is a 2x2 table of counts, tested with `fisher_exact`. It is
  exact rather than a chi-squared approximation because the groups are often
  small (a dozen runs) and the events rare (two failures), just where the
  approximation is poor; it assumes nothing of the counts.
- A measure per run — latency, tokens, steps, cost — is tested with
  `mann_whitney_u`, which compares ranks, not means: these figures are skewed
  and heavy-tailed (one stuck run takes minutes), so a t-test would follow the
  outliers. Counts such as steps tie a lot, hence the tie correction.

Both give two-sided p-values defined as SciPy defines them
(``scipy.stats.fisher_exact`` and ``scipy.stats.mannwhitneyu`` with
``method="asymptotic"``), so the figures can be checked against it, but
they are written here from the definitions, in the standard library only: the
explorer must not pull NumPy or SciPy into an install. `larger_than_chance`
applies the threshold (`ALPHA`) and `proportion_ratio` says how large a
difference in rates is.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

__all__ = ["ALPHA", "fisher_exact", "larger_than_chance", "mann_whitney_u", "proportion_ratio"]

ALPHA = 0.05
"""The significance level: a p-value below it is a difference larger than chance."""

_TIE_TOLERANCE = 1e-14
"""Tables this close in probability (relative) to the observed one count as equally likely (as in SciPy)."""
_NEGLIGIBLE = 1e-300
"""Tables less likely than this, relative to the most likely one, are left out of the sums."""
_NEAR_TIE = 1e-9
"""Within this relative distance of the observed probability, rounding could decide a tie: check exactly."""
_FINGERPRINT = (2**61 - 1) * (2**89 - 1)
"""Two Mersenne primes: products of counts equal modulo both are taken as equal."""


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """The two-sided p-value of Fisher's exact test for the 2x2 table ``[[a, b], [c, d]]``.

    Rows are the two groups, columns the two outcomes (failed, not failed).
    With the margins fixed, the count ``a`` follows a hypergeometric law; the
    p-value is the total probability of the tables with these margins that
    are no more likely than the observed one (within a relative 1e-14, so
    tables of exactly equal probability always count), as
    ``scipy.stats.fisher_exact(..., alternative="two-sided")`` defines it.

    The probabilities are computed relative to the most likely table, each
    from its neighbour by the exact ratio of consecutive hypergeometric
    terms, walking outward from the mode until they fall below 1e-300 of
    it: the work grows with the square root of the counts, not with the
    counts (about 25,000 terms for a million runs per group). When the
    observed table lies beyond that point its p-value is below 1e-300 times
    the number of possible tables and is returned as 0.0.

    Args:
        a: The first group's count in the first column.
        b: The first group's count in the second column.
        c: The second group's count in the first column.
        d: The second group's count in the second column.

    Returns:
        The p-value, in [0, 1]; 1.0 for a table with an empty row or column.

    Raises:
        ValueError: A count is negative.
    """
    return _fisher_two_sided(a, b, c, d)[0]


def _fisher_two_sided(a: int, b: int, c: int, d: int) -> tuple[float, int]:
    """`fisher_exact`'s p-value, and how many table probabilities it computed (its work)."""
    a, b, c, d = (operator.index(count) for count in (a, b, c, d))
    if min(a, b, c, d) < 0:
        raise ValueError(f"counts must not be negative: [[{a}, {b}], [{c}, {d}]]")
    row1, row2, col1 = a + b, c + d, a + c
    if 0 in (row1, row2, col1, b + d):
        return 1.0, 0
    # The table with first cell k is [[k, row1 - k], [col1 - k, shift + k]].
    shift = row2 - col1
    low, high = max(0, -shift), min(row1, col1)
    mode = min(max((row1 + 1) * (col1 + 1) // (row1 + row2 + 2), low), high)

    # Probabilities relative to the mode's, each side in order away from it (so decreasing).
    above: list[float] = []  # k = mode + 1, mode + 2, ...
    term, k = 1.0, mode
    while k < high:
        term *= ((row1 - k) * (col1 - k)) / ((k + 1) * (shift + k + 1))
        k += 1
        if term < _NEGLIGIBLE:
            break
        above.append(term)
    below: list[float] = []  # k = mode - 1, mode - 2, ...
    term, k = 1.0, mode
    while k > low:
        term *= (k * (shift + k)) / ((row1 - k + 1) * (col1 - k + 1))
        k -= 1
        if term < _NEGLIGIBLE:
            break
        below.append(term)
    work = 1 + len(above) + len(below)

    if a == mode:
        observed = 1.0
    elif 0 < a - mode <= len(above):
        observed = above[a - mode - 1]
    elif 0 < mode - a <= len(below):
        observed = below[mode - a - 1]
    else:
        return 0.0, work
    threshold = observed * (1.0 + _TIE_TOLERANCE)

    def counted(term: float, k: int) -> bool:
        if (
            k != a
            and abs(term - observed) <= _NEAR_TIE * observed
            and _equally_likely(a, k, row1, col1, shift)
        ):
            return True
        return term <= threshold

    tails = [term for term, k in ((1.0, mode),) if counted(term, k)]
    tails += [term for i, term in enumerate(above) if counted(term, mode + 1 + i)]
    tails += [term for i, term in enumerate(below) if counted(term, mode - 1 - i)]
    p = math.fsum(tails) / math.fsum([1.0, *above, *below])
    return min(p, 1.0), work


def _equally_likely(j: int, k: int, row1: int, col1: int, shift: int) -> bool:
    """Whether the tables with first cell ``j`` and ``k`` are exactly equally likely.

    Floating point cannot tell equal from nearly equal after thousands of
    steps, and tables of equal probability are common (two groups of the
    same size give mirror tables on either side of the mode). Their ratio is
    a product of integers over a product of integers; the two products are
    compared modulo two large primes, which integers that differ match only
    by a coincidence of about one in 2**150.
    """
    if j > k:
        j, k = k, j
    numerator = denominator = 1
    for i in range(j, k):
        numerator = numerator * ((row1 - i) * (col1 - i)) % _FINGERPRINT
        denominator = denominator * ((i + 1) * (shift + i + 1)) % _FINGERPRINT
    return numerator == denominator


def mann_whitney_u(x: Sequence[float], y: Sequence[float]) -> float:
    """The two-sided p-value of the Mann-Whitney U test between samples ``x`` and ``y``.

    The samples are ranked together (ties get their average rank); ``U`` is
    the larger of the two groups' rank sums less their least possible value,
    standardized with the tie-corrected variance and a continuity correction
    of 0.5, and the p-value is twice the normal upper tail there, as
    ``scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
    method="asymptotic", use_continuity=True)`` computes it. Values are
    compared as floats. Sorting is the work: O(n log n).

    Args:
        x: One group's values (one per run).
        y: The other group's values.

    Returns:
        The p-value, in [0, 1]; 1.0 when a sample is empty or all values are equal.

    Raises:
        ValueError: A value is NaN (it has no rank).
    """
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        return 1.0
    values = [float(value) for value in x] + [float(value) for value in y]
    if any(math.isnan(value) for value in values):
        raise ValueError("a sample holds NaN, which has no rank")
    n = n1 + n2
    order = sorted(range(n), key=values.__getitem__)
    twice_rank_sum = 0  # of x; twice, so that average ranks stay integers
    ties = 0  # the sum of t**3 - t over groups of t equal values
    start = 0
    while start < n:
        end = start + 1
        while end < n and values[order[end]] == values[order[start]]:
            end += 1
        # Positions start .. end - 1 hold ranks start + 1 .. end, whose average is (start + 1 + end) / 2.
        in_x = sum(1 for index in order[start:end] if index < n1)
        twice_rank_sum += in_x * (start + 1 + end)
        size = end - start
        ties += size**3 - size
        start = end
    twice_u1 = twice_rank_sum - n1 * (n1 + 1)
    twice_u = max(twice_u1, 2 * n1 * n2 - twice_u1)
    # (U - mean - 0.5) / sd, with mean n1 n2 / 2 and variance n1 n2 ((n + 1) - ties / (n (n - 1))) / 12.
    spread = n1 * n2 * ((n + 1) * n * (n - 1) - ties)  # the variance times 12 n (n - 1)
    if spread == 0:
        return 1.0
    z = (twice_u - n1 * n2 - 1) / 2 / math.sqrt(spread / (12 * n * (n - 1)))
    return min(math.erfc(z / math.sqrt(2.0)), 1.0)


def larger_than_chance(p: float, alpha: float = ALPHA) -> bool:
    """Whether a p-value says the difference is larger than chance: below ``alpha`` (strictly)."""
    return p < alpha


def proportion_ratio(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """How many times the first group's rate the second's is: ``(x2 / n2) / (x1 / n1)``.

    ``x1`` of ``n1`` runs against ``x2`` of ``n2`` (failures of all runs,
    say); above 1 the second group's rate is higher. None when it is
    undefined: a group without runs, or no event at all in the first group.

    Raises:
        ValueError: A count is negative, or a group has more events than runs.
    """
    if min(x1, n1, x2, n2) < 0 or x1 > n1 or x2 > n2:
        raise ValueError(f"need 0 <= x <= n in each group, got {x1}/{n1} and {x2}/{n2}")
    if n1 == 0 or n2 == 0 or x1 == 0:
        return None
    return (x2 * n1) / (n2 * x1)
