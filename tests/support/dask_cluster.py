"""A Dask cluster for the tests, started on 127.0.0.1 as a sweep starts its own, and reached by its address as a
user's own cluster would be."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_scheduler(workers: int = 2) -> Iterator[str]:
    """The address of a cluster of ``workers`` single-threaded processes on 127.0.0.1, closed on leaving."""
    from cnncalc.sweep.engine import local_cluster

    cluster = local_cluster(workers)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
