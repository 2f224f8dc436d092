"""``Emulator``: a local ICA for the data update batch API, run in a thread.

Use it as a context manager (or ``start()`` / ``stop()``)::

    with Emulator(pace="step") as emu:
        project = emu.create_project("demo")
        file_id = emu.create_data(project, "/reads/a.fastq")
        ...  # talk to emu.base_url with emu.api_key
        emu.finish()
        user_tags, technical_tags = emu.data_tags(file_id)

An ``Emulator`` serves once: after ``stop()`` make a new one (with the same
``state`` file to find its batches again).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import List, NamedTuple, Optional, Tuple

from icasdk.emulator import lifecycle
from icasdk.emulator.errors import SeedError
from icasdk.emulator.exchange import RequestRecord
from icasdk.emulator.faults import Faults
from icasdk.emulator.routes import API_PREFIX, CONTROL_PREFIX
from icasdk.emulator.server import App, EmulatorServer
from icasdk.emulator.state import ACCESS_TOKEN, API_KEY, State
from icasdk.emulator.store import SqliteStore

log = logging.getLogger(__name__)

# How long start() waits for the serving thread before giving up.
START_TIMEOUT = 10.0


class BatchInfo(NamedTuple):
    """A batch as ``Emulator.batches`` lists it."""

    id: str
    project_id: str
    status: str
    items: int
    done: int


class Emulator:
    """A stateful local ICA serving the Project Data Update Batch operations.

    ``pace`` is ``None`` (about 500 items a second), ``"step"`` (batches move
    only on ``advance``/``finish``) or items per second. ``state`` is a SQLite
    file to keep everything in; ``seed_file`` a JSON seed document (see
    ``icasdk.emulator.state``), applied when the state starts empty. A state
    or seed file that cannot be used raises ``StateFileError`` or
    ``SeedError`` (see ``errors.py``); a bad pace or rate, ``ValueError``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pace: object = None,
        state: str | None = None,
        api_key: str | None = None,
        access_token: str | None = None,
        seed_file: str | None = None,
        max_requests_per_second: float | None = None,
    ) -> None:
        if type(port) is not int or not 0 <= port <= 65535:
            raise ValueError("port must be an int from 0 to 65535, got %r" % (port,))
        seed = read_seed(seed_file) if seed_file is not None else None
        store = SqliteStore(state) if state else None
        try:
            self._state = State(
                store=store,
                api_key=api_key,
                access_token=access_token,
                seed=seed,
                pace=pace,
            )
        except BaseException as err:
            if store is not None:
                store.close()
            if isinstance(err, SeedError) and seed_file is not None:
                raise SeedError("seed file %r: %s" % (seed_file, err)) from None
            raise
        self._app = App(self._state, max_requests_per_second)
        self._address = (host, port)
        self._server: Optional[EmulatorServer] = None
        self._thread: Optional[threading.Thread] = None
        self._served = False

    # -- running ----------------------------------------------------------

    def start(self) -> "Emulator":
        """Bind, serve in a daemon thread, and return once it is serving.

        An address that cannot be bound raises the ``OSError`` of the bind
        (``socket.gaierror`` for a host that does not resolve).
        """
        if self._served:
            raise RuntimeError("an Emulator serves once; make a new one to restart")
        self._served = True
        try:
            self._server = EmulatorServer(self._address, self._app)
        except BaseException:
            self._state.store.close()
            raise
        ready = threading.Event()

        def serve() -> None:
            ready.set()
            self._server.serve_forever(poll_interval=0.05)

        self._thread = threading.Thread(target=serve, name="ica-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(START_TIMEOUT):
            raise RuntimeError("the emulator did not start within %ss" % START_TIMEOUT)
        log.info("emulator serving at %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the state file."""
        if self._server is None:
            return

        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._state.store.close()
        self._server = None
        log.info("emulator stopped")

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        """``http://host:port`` of the running emulator."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        host, port = self._server.server_address[:2]
        host = "[%s]" % host if ":" in host else host
        return "http://%s:%d" % (host, port)

    @property
    def base_url(self) -> str:
        """The API's base URL, ending in ``/ica/rest``."""
        return self.origin + API_PREFIX

    @property
    def control_url(self) -> str:
        """The base URL of the ``/_emulator`` control routes."""
        return self.origin + CONTROL_PREFIX

    @property
    def api_key(self) -> str:
        """An API key the emulator accepts (``X-API-Key``)."""
        return self._state.api_key

    @property
    def access_token(self) -> str:
        """A bearer token the emulator accepts (``Authorization: Bearer``)."""
        return self._state.access_token

    def configuration(self):
        """An ``icasdk.Configuration`` pointed at this emulator with its API key."""
        from icasdk.configuration import Configuration

        return Configuration(host=self.base_url, api_key={"ApiKeyAuth": self.api_key})

    # -- seeding and inspection ------------------------------------------

    def create_project(self, name: str, *, owner: str | None = None) -> str:
        """Make a project (owned by user ``owner``, default ours); its uuid."""
        with self._state.lock:
            user = self._state.add_user(owner) if owner else self._state.default_user
            return self._state.add_project(name, user.id).id

    def create_data(
        self,
        project_id: str,
        path: str,
        *,
        user_tags=(),
        technical_tags=(),
    ) -> str:
        """Make a file, or a folder if ``path`` ends in ``/``; its data id."""
        return self._state.add_data(
            project_id, path, None, user_tags, technical_tags
        ).id

    def data_tags(self, data_id: str) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """``(user tags, technical tags)`` of a data, with finished items applied."""
        with self._state.lock:
            self._state.settle()
            data = self._state.data[data_id]
            return tuple(data.user_tags), tuple(data.technical_tags)

    def add_user(self, username: str) -> str:
        """Make a user (or find one by name); its id."""
        return self._state.add_user(username).id

    def add_credential(
        self,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        user: str | None = None,
    ) -> None:
        """Accept an API key and/or bearer token for user ``user`` (made if new)."""
        if api_key is None and access_token is None:
            raise ValueError("add_credential needs api_key or access_token")
        with self._state.lock:
            owner = self._state.add_user(user) if user else self._state.default_user
            if api_key is not None:
                self._state.add_credential(owner.id, api_key, API_KEY)
            if access_token is not None:
                self._state.add_credential(owner.id, access_token, ACCESS_TOKEN)

    def seed(self, document: dict) -> dict:
        """Add a seed document (see ``icasdk.emulator.state``); what was made."""
        return self._state.seed(document)

    def reset(self) -> None:
        """Back to the start: defaults and seed only, no faults, empty log."""
        self._app.reset()

    @property
    def pace(self) -> lifecycle.Pace:
        """The pace of batches created from now on."""
        return self._state.pace

    @pace.setter
    def pace(self, value: object) -> None:
        self._state.pace = lifecycle.make_pace(value)

    def advance(self, batch_id: str | None = None, items: int | None = None) -> int:
        """Move a batch (default: all unfinished) one phase, or ``items`` items.

        Phases: INITIALIZED, WAITING_FOR_RESOURCES, RUNNING, then all items
        final. A rate-paced batch is frozen and moves only on demand after.
        Returns how many batches moved.
        """
        return self._app.advance(batch_id, items)

    def finish(self, batch_id: str | None = None) -> int:
        """Move a batch (default: all unfinished) to its end; how many moved."""
        return self._app.advance(batch_id, None, to_end=True)

    @property
    def faults(self) -> Faults:
        """The fault injector: ``emu.faults.inject(kind, ...)``, ``.clear()``."""
        return self._app.faults

    @property
    def requests(self) -> List[RequestRecord]:
        """``(method, path, status)`` of each API request that reached us."""
        return self._app.requests()

    def clear_requests(self) -> None:
        """Forget the request log."""
        self._app.clear_requests()

    @property
    def batches(self) -> List[BatchInfo]:
        """Every batch, oldest first, as it stands now."""
        with self._state.lock:
            self._state.settle()
            return [
                BatchInfo(
                    b.id, b.project_id, lifecycle.job_status(b), len(b.items), b.done
                )
                for b in self._state.batches.values()
            ]

    @property
    def batches_created(self) -> int:
        """How many batches exist."""
        return len(self._state.batches)


def read_seed(path: str) -> object:
    """The JSON document in the seed file at ``path``; ``SeedError`` if unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as err:
        reason = err.strerror or str(err)
    except ValueError as err:
        reason = "it is not JSON in UTF-8 (%s)" % err
    raise SeedError("seed file %r cannot be read: %s" % (path, reason))
