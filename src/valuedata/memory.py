"""Memory policy of a valuedata process: freed memory goes back to the system, so that a pipeline step does not
start with the previous step's freed frames and matrices still resident.

Measured at 1M deals (2 cores), the model fit followed by the other steps in one process:

- polars' allocator (jemalloc) keeps freed pages ~10 s by default, so the next step starts with them resident
  (0.8 GB after the fit). A background thread now returns them after 1 s, not at once: the test suite's many
  small runs would pay for every page again. Takes effect only when valuedata is imported before polars (as
  `valuedata` and `dagster dev` do).
- glibc raises its mmap threshold after freeing a large block, so later blocks of up to 32 MB (the logistic
  fit's 16k-row chunks are ~22 MB) come from per-thread arenas that never shrink: 0.5 GB stayed resident after
  the fit. A fixed 4 MB threshold maps those blocks and unmaps them when freed: the fit's peak fell from 2.83 to
  2.22 GiB and what it left from 0.86 to 0.31 GiB, for ~5% more time (93 s against 98 s, one run each).
"""

import ctypes
import os

JEMALLOC_CONFIG = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0"
MMAP_THRESHOLD_BYTES = 4 * 2**20
M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


def return_freed_memory() -> None:
    """Apply both settings to this process (where the allocator exists: jemalloc's is read when polars loads,
    glibc's only on glibc systems)."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", JEMALLOC_CONFIG)
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass  # not glibc: its default policy stays
