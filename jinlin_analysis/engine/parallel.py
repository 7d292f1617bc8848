"""Run independent blocks of array work on every core.

numpy releases the GIL inside its array loops (arithmetic, sorting, interpolation), so
plain threads keep two or more cores busy without copying arrays between processes.
Every block writes only its own rows of the shared result arrays and draws nothing at
random, so the result does not depend on the order in which threads finish.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

WORKERS = min(os.cpu_count() or 1, 4)


def run_blocks(work: Callable[..., None], blocks: Iterable[tuple]) -> None:
    """Call work(*block) for every block, on up to WORKERS threads; re-raise any error."""
    blocks = list(blocks)
    if WORKERS == 1 or len(blocks) < 2:
        for block in blocks:
            work(*block)
        return
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for future in [pool.submit(work, *block) for block in blocks]:
            future.result()
