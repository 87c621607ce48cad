"""Number formatting for labels and hover text."""

from __future__ import annotations

import math


def ok(x: object) -> bool:
    """Whether x is a usable number (not None, not NaN)."""
    return isinstance(x, (int, float)) and not (isinstance(x, float) and math.isnan(x))


def pct(x: float | None) -> str:
    """0.583 -> '58%'."""
    return f"{x:.0%}" if ok(x) else "n/a"


def pts(x: float | None) -> str:
    """A win-rate difference (fraction) in signed percentage points: 0.27 -> '+27'."""
    return f"{x * 100:+.0f}" if ok(x) else "n/a"


def num(x: float | None) -> str:
    """1204 -> '1,204'."""
    return f"{x:,.0f}" if ok(x) else "n/a"


def money(x: float | None, currency: str | None) -> str:
    """An amount with its currency, compact: (1234567, 'EUR') -> '1.2M EUR'."""
    if not ok(x):
        return "n/a"
    unit = f" {currency}" if currency else ""
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.1f}{suffix}{unit}"
    return f"{x:,.0f}{unit}"


def ratio(x: float | None) -> str:
    """An odds ratio with two significant digits: 2.13 -> '2.1', 0.456 -> '0.46'."""
    if not ok(x) or x <= 0:
        return "n/a"
    return f"{x:.2g}" if x < 10 else f"{x:.0f}"


def qval(q: float | None) -> str:
    """'q<0.001', 'q=0.012', 'q=0.34'."""
    if not ok(q):
        return "q n/a"
    if q < 0.001:
        return "q<0.001"
    return f"q={q:.3f}" if q < 0.1 else f"q={q:.2f}"


def wilson(won: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a win rate."""
    if n <= 0:
        return (0.0, 1.0)
    p = won / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))
