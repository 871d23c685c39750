"""Pre-labelling on a Ray cluster (``annotate prelabel --engine ray``): Ray Data runs the heavy first pass
(extraction and the stance encoder, ``Prelabeller.read``) on an actor pool, each actor loading the model once; the
driver pools each speaker's evidence and decides the stances as a local run does.

Each dataset row is one of the pre-labeller's batches of documents, in order, so every encoder call sees the same
texts as in a local run and the output is the same, byte for byte, given the same torch threads per process (Ray
gives an actor one CPU by default; the last bits of a sum depend on how many threads share it; ``tests/test_ray.py``).
Ray is an optional dependency: ``pip install 'annotate[ray]'``.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

from .data import Document
from .errors import UserError
from .pipeline import Prelabeller, ReadBatch, Reader


class _ReadOnWorker:
    """A Ray Data actor: one pre-labeller per worker, loaded once, reading whole batches."""

    def __init__(self, stance_model: str | None, target: str | None, batch_size: int):
        self.prelabeller = Prelabeller(stance_model, target, batch_size)

    def __call__(self, rows: dict) -> dict:
        read = [pickle.dumps(self.prelabeller.read(pickle.loads(payload))) for payload in rows["batch"]]
        return {"read": read}


def ray_reader(
    address: str | None, workers: int, stance_model: str | None, target: Path | None, batch_size: int
) -> Reader:
    """A ``Prelabeller.prelabel`` reader that runs on the Ray cluster at ``address`` (default: a local one with
    ``workers`` CPUs), with ``workers`` actors."""
    try:
        import ray
    except ImportError:
        raise UserError("--engine ray needs Ray: pip install 'annotate[ray]'") from None
    # No usage statistics leave the machine.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not ray.is_initialized():
        try:
            if address:
                ray.init(address=address, log_to_driver=False, include_dashboard=False, logging_level="ERROR")
            else:
                ray.init(num_cpus=workers, log_to_driver=False, include_dashboard=False, logging_level="ERROR")
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise UserError(f"cannot start or reach a Ray cluster at {address or 'this machine'}: {exc}") from None
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # batches come back in the order they went in
    context.enable_progress_bars = False  # the CLI shows its own
    logging.getLogger("ray.data").setLevel(logging.ERROR)

    def read(batches: Iterator[list[Document]]) -> Iterable[ReadBatch]:
        rows = [{"batch": pickle.dumps(batch)} for batch in batches]
        if not rows:
            return
        dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), 4 * workers)).map_batches(
            _ReadOnWorker,
            fn_constructor_args=(stance_model, None if target is None else str(target), batch_size),
            batch_size=1,
            concurrency=min(workers, len(rows)),
            num_cpus=1,
        )
        for row in dataset.iter_rows():
            yield pickle.loads(row["read"])

    return read
