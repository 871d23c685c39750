"""Shared by the training benchmarks: run on a fixed number of cores, without library progress bars."""

from __future__ import annotations

import os


def pin_cores_and_quiet(cores: int) -> list[int]:
    """Pin this process and torch's thread pool to the first ``cores`` CPUs, so figures are for that many cores,
    and silence the libraries' own progress bars and load reports, so the printed table is all there is.
    Returns the CPUs used."""
    import datasets
    import torch
    import transformers

    cpus = sorted(os.sched_getaffinity(0))[:cores]
    os.sched_setaffinity(0, cpus)
    torch.set_num_threads(len(cpus))
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.logging.set_verbosity_error()
    return cpus
