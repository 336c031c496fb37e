"""A Dask cluster for the tests, started as a user's own would be and reached by its address."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_scheduler(workers: int = 2) -> Iterator[str]:
    """The address of a cluster of ``workers`` single-threaded processes on 127.0.0.1, closed on leaving."""
    import distributed

    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # its HTTP server: any free port, not 8787
        silence_logs=logging.ERROR,
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()
