"""Batch steps that allocate many small objects run with the cyclic garbage
collector paused.

Parsing a snapshot and classifying it make tens of thousands of items and
tuples that reference counting frees; none of them forms a cycle.
Each few hundred of them start a collection that walks the young
objects, and now and then one that walks the whole heap (the gazetteer, the
compiled automata, the loaded config). Pausing the collector for the batch
leaves the freeing to reference counting and lets the next collection after
it find whatever a batch left behind, once. A pause nested in another pause
leaves the collector as it found it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector inside the block (reference counting still frees)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
