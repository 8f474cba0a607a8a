"""Keep freed memory in the process (glibc ``mallopt``), so that training steps reuse it.

A training step on the CPU allocates and frees the same large activation buffers every
step.  glibc's defaults hand blocks above the mmap threshold straight back to the kernel
(and trim the heap top above 128 KiB), so each step pays page faults to touch fresh pages:
measured 5 to 30% of a default-profile step (``python -m benchmark.bench_training``,
``docs/performance.md``).  :func:`keep_freed_memory` raises both thresholds, which is
what ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` do when set before start-up.
Numbers are unchanged (only where memory comes from); peak RSS is what the step needs.
On a C library without ``mallopt`` (not glibc) it does nothing and says so.
"""
from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3
#: glibc's largest mmap threshold on 64-bit systems (``DEFAULT_MMAP_THRESHOLD_MAX``)
MMAP_THRESHOLD_MAX = 32 * 2 ** 20
#: freed memory kept at the heap top before it is returned to the kernel
TRIM_THRESHOLD = 2 ** 30


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; True where it applied."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    ok = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX) == 1
    ok = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    return ok
