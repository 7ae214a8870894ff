"""Pausing Python's cyclic garbage collector while a read builds thousands of objects at once.

CPython runs a young-generation collection after every 700 new container objects, and each one
walks every young object still alive, including the rows and events the read is still building
(which are all alive). Replaying a 10,000-event case made 35 young, 3 middle and now and then a
full collection: about a third of its load time, measured. Those objects hold no reference
cycles, so the collections found nothing to free; reference counting frees them as usual
whether or not the collector runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, and turn it back on after (error or not)
    only if it was on before: a caller that turned it off itself keeps it off. The switch is the
    process's, not the thread's: another thread's allocations are not collected meanwhile either
    (so keep the block to one bulk read), and a thread that turns the collector off while another
    is paused sees it back on when that one ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
