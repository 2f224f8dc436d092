"""Load: 16 threads share one ApiClient for 500 calls each against the emulator.

The emulator runs in a child process, so what is measured here (threads,
sockets, memory) is the client's alone. The calls mix the four operations
(one create in 25). Every call must succeed; the client must never hold
more connections than its pool allows, nor keep any (or any thread) after
``close()``; and memory must stay flat once warmed up.
"""

from __future__ import annotations

import concurrent.futures
import gc
import json
import threading
import time
import typing

import psutil
import pytest

import icasdk
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi

from .support import PROJECT_ID, EmulatorProcess, wait_until

pytestmark = pytest.mark.timeout(120)

THREADS = 16
CALLS = 500
WARM_UP = 50
"""Calls per thread before memory is first measured."""
POOL = 8
"""Connections the client may hold; fewer than the threads, so they queue."""
MEMORY_BOUND = 16 * 1024 * 1024
"""Growth of resident memory allowed after the warm-up: generous, not to flake."""
OBJECTS_BOUND = 20_000
"""Growth of objects tracked by the garbage collector allowed after the warm-up."""
FILES = 40


def _data_id(n: int) -> str:
    return "fil.%032x" % (0xF11E0000 + n)


@pytest.fixture
def emulator(tmp_path):
    """The emulator in a child process, seeded with one project of 40 files."""
    seed = {
        "projects": [
            {
                "name": "load",
                "id": PROJECT_ID,
                "data": [
                    {"path": f"/load/f{n}.bam", "id": _data_id(n)} for n in range(FILES)
                ],
            }
        ]
    }
    seed_file = tmp_path / "seed.json"
    seed_file.write_text(json.dumps(seed))
    with EmulatorProcess(str(seed_file), "load-test-key") as process:
        yield process


def _client_connections(port: int) -> int:
    """Open TCP connections of this process to ``port``."""
    return sum(
        1
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED
    )


class Sampler:
    """Samples the client's connections every 20 ms; keeps the highest count."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _client_connections(self.port))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _memory() -> typing.Tuple[int, int]:
    """(resident bytes, objects tracked by the collector) after a collection."""
    gc.collect()
    return psutil.Process().memory_info().rss, len(gc.get_objects())


def _batch_to_read(api: ProjectDataUpdateBatchApi):
    """Create the batch the threads read: its path parameters and item ids."""
    created = api.create_project_data_update_batch(
        path_params={"projectId": PROJECT_ID},
        body={"dataUpdateGroups": [{"dataIds": [_data_id(n) for n in range(FILES)]}]},
    )
    batch = {"projectId": PROJECT_ID, "batchId": created.body["id"]}
    page = api.get_project_data_update_batch_items(
        path_params=batch, query_params={"pageSize": FILES}
    )
    return batch, [item["id"] for item in page.body["items"]]


def test_sixteen_threads_share_one_client(emulator, figures):
    """16 x 500 calls on one client: no error, pool bound kept, nothing leaked."""
    threads_before = threading.active_count()
    configuration = icasdk.Configuration(
        host=emulator.base_url,
        api_key={"ApiKeyAuth": emulator.api_key},
        connection_pool_maxsize=POOL,
        timeout=(5, 30),
    )
    client = icasdk.ApiClient(configuration)
    api = ProjectDataUpdateBatchApi(client)
    batch, item_ids = _batch_to_read(api)
    errors: typing.List[BaseException] = []
    done = [0] * THREADS
    warm = threading.Barrier(THREADS + 1, timeout=60)
    measured = threading.Barrier(THREADS + 1, timeout=60)

    def one_call(worker: int, n: int) -> None:
        kind = (worker + n) % 25
        if kind == 0:
            body = {"dataUpdateGroups": [{"dataIds": [_data_id(n % FILES)]}]}
            response = api.create_project_data_update_batch(
                path_params={"projectId": PROJECT_ID}, body=body
            )
        elif kind % 3 == 0:
            response = api.get_project_data_update_batch(path_params=batch)
        elif kind % 3 == 1:
            response = api.get_project_data_update_batch_items(
                path_params=batch, query_params={"pageSize": 5, "status": ["UPDATED"]}
            )
        else:
            item = dict(batch, itemId=item_ids[(worker * 7 + n) % len(item_ids)])
            response = api.get_project_data_update_batch_item(path_params=item)
        assert 200 <= response.status <= 299

    def worker(number: int) -> None:
        try:
            for n in range(CALLS):
                if n == WARM_UP:
                    warm.wait()
                    measured.wait()
                one_call(number, n)
                done[number] += 1
        except BaseException as err:  # noqa: B036 - reported by the main thread
            errors.append(err)
            warm.abort()
            measured.abort()

    started = time.monotonic()
    with Sampler(emulator.port) as sampler:
        with concurrent.futures.ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(worker, n) for n in range(THREADS)]
            warm.wait()
            rss_warm, objects_warm = _memory()
            measured.wait()
            concurrent.futures.wait(futures, timeout=100)
    elapsed = time.monotonic() - started
    rss_end, objects_end = _memory()
    client.close()

    assert errors == []
    assert done == [CALLS] * THREADS
    assert 1 <= sampler.peak <= POOL
    assert wait_until(lambda: _client_connections(emulator.port) == 0)
    assert wait_until(lambda: threading.active_count() <= threads_before)
    assert rss_end - rss_warm < MEMORY_BOUND
    assert objects_end - objects_warm < OBJECTS_BOUND

    calls = THREADS * CALLS
    figures["load: calls"] = calls
    figures["load: seconds"] = round(elapsed, 1)
    figures["load: calls per second"] = round(calls / elapsed)
    figures["load: most connections open at once (pool allows)"] = (
        f"{sampler.peak} ({POOL})"
    )
    figures["load: resident memory growth after warm-up, MiB"] = round(
        (rss_end - rss_warm) / 2**20, 2
    )
    figures["load: tracked objects growth after warm-up"] = objects_end - objects_warm


def test_close_releases_connections_while_responses_are_kept(emulator):
    """close() closes every connection, even when the caller keeps a response."""
    configuration = icasdk.Configuration(
        host=emulator.base_url, api_key={"ApiKeyAuth": emulator.api_key}
    )
    client = icasdk.ApiClient(configuration)
    api = ProjectDataUpdateBatchApi(client)
    kept = api.create_project_data_update_batch(
        path_params={"projectId": PROJECT_ID},
        body={"dataUpdateGroups": [{"dataIds": [_data_id(0)]}]},
    )
    assert _client_connections(emulator.port) == 1

    client.close()

    assert kept.body["id"]
    assert wait_until(lambda: _client_connections(emulator.port) == 0, 2.0)
