"""What the generated files are drawn and written with: one random stream per purpose, and drawn codes
turned into text columns."""

from __future__ import annotations

import zlib

import numpy as np
import polars as pl

from .spec import FIRST_DAY, SNAPSHOT_DAY

EPOCH_DAY = int((np.datetime64(FIRST_DAY) - np.datetime64("1970-01-01")).astype(int))
HORIZON = int((np.datetime64(SNAPSHOT_DAY) - np.datetime64(FIRST_DAY)).astype(int)) + 1  # days, both ends in


def stream(seed: int, purpose: str) -> np.random.Generator:
    """An independent random stream per purpose, so one part changing never shifts another."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode())])


def pick(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """Codes (positions in ``weights``) drawn in proportion to its values."""
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def ids(prefix: str, numbers: np.ndarray, width: int) -> pl.Series:
    """``prefix`` + the zero-padded number, e.g. D0000042."""
    return (prefix + pl.Series(numbers, dtype=pl.Int64).cast(pl.String).str.zfill(width)).rename("")


def dates(days: np.ndarray) -> pl.Series:
    """ISO dates for day offsets from FIRST_DAY (one formatted string per distinct day)."""
    lo = int(days.min())
    text = pl.Series(np.arange(lo, int(days.max()) + 1) + EPOCH_DAY, dtype=pl.Int32).cast(pl.Date).cast(pl.String)
    return text.gather(days - lo)


def table(values: list[str], codes: np.ndarray) -> pl.Series:
    """The value of each code."""
    return pl.Series(values, dtype=pl.String).gather(codes)


def when(mask: np.ndarray, yes: pl.Series | None, no: pl.Series) -> pl.Series:
    """Element-wise ``yes if mask else no`` (``yes=None`` blanks)."""
    then = pl.lit(None, dtype=pl.String) if yes is None else pl.lit(yes)
    return pl.select(pl.when(pl.lit(pl.Series(mask))).then(then).otherwise(pl.lit(no))).to_series().rename("")
