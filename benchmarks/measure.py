"""How a figure is taken: wall time, CPU time, retained and peak memory.

Each timed call runs with the garbage collector on, as in a user's
program, after a ``gc.collect()`` so that one sample does not pay for the
garbage of the one before. What a call returns is dropped only after its
clock stops, so freeing a result is never timed. Memory is what
``tracemalloc`` sees: Python's own allocations, which is where models live.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
import typing

T = typing.TypeVar("T")


def median(values: typing.Sequence[float]) -> float:
    """The median; the figure every table shows."""
    return statistics.median(values)


def wall_times(
    call: typing.Callable[[], object], repeats: int, *, warmup: int = 1
) -> typing.List[float]:
    """Seconds each of ``repeats`` calls took, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        call()

    samples = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = call()
        samples.append(time.perf_counter() - started)
        del result
    return samples


def cpu_times(
    call: typing.Callable[[], object], repeats: int, *, warmup: int = 1
) -> typing.List[float]:
    """CPU seconds (this process, all threads) each of ``repeats`` calls used."""
    for _ in range(warmup):
        call()

    samples = []
    for _ in range(repeats):
        gc.collect()
        started = time.process_time()
        result = call()
        samples.append(time.process_time() - started)
        del result
    return samples


def retained_bytes(call: typing.Callable[[], T]) -> typing.Tuple[int, T]:
    """Bytes still allocated after ``call`` returns, while its result is kept.

    Temporaries the call frees (a parsed document a model was built from)
    do not count; only what the caller holds on to does.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before, result


def peak_bytes(call: typing.Callable[[], T]) -> typing.Tuple[int, T]:
    """The most bytes allocated at any one time during ``call``, above the start."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - before, result
