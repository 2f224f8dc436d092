"""What the emulator knows: users and their credentials, projects, data, batches.

Everything lives in plain dicts keyed by id, guarded by one lock
(``State.lock``), and is mirrored into a store (``store.py``) when one is
given, so a restart with the same SQLite file finds it all again.

A seed document (a JSON file, or the body of ``POST /_emulator/seed``)::

    {"users": [{"username": "bob", "email": "bob@example.com",
                "apiKeys": ["bob-key"], "accessTokens": ["bob-token"]}],
     "projects": [{"name": "demo", "owner": "bob", "id": "<uuid, optional>",
                   "data": ["/reads/", "/reads/a.fastq",
                            {"path": "/ref.fa", "id": "fil.<32 hex>",
                             "userTags": ["x"], "technicalTags": []}]}]}

A project's ``owner`` defaults to the emulator's own user; a path ending in
``/`` is a folder, and the folders above a path are made as needed.

Ids of UUID form (projects, batches, items, users) are UUIDs, as on ICA,
which parses them in Java: ``canonical_id`` gives the lower-case form they
are kept and answered in, and every lookup goes through it, so an
upper-case ``batchId`` finds its batch. Other ids (``fil.``/``fol.`` data
ids, a seeded project id that is not a UUID) are compared as they are.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import dataclasses
import json
import logging
import re
import secrets
import threading
import time
import uuid
from typing import Callable, Dict, Iterable, Iterator, List, Optional

from icasdk.emulator import lifecycle
from icasdk.emulator.errors import SeedError, StateFileError
from icasdk.emulator.store import NullStore

log = logging.getLogger(__name__)

API_KEY = "apiKey"
ACCESS_TOKEN = "accessToken"
DEFAULT_USERNAME = "emulator"
DATA_ID = re.compile(r"^(fil|fol)\.[0-9a-f]{32}$")
UUID_FORM = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def canonical_id(value: str) -> str:
    """``value`` in lower case if it is a UUID (8-4-4-4-12 hex), else unchanged."""
    if isinstance(value, str) and UUID_FORM.match(value):
        return value.lower()
    return value


@dataclasses.dataclass
class User:
    """A user of the tenant; credentials point at one."""

    id: str
    username: str
    email: str
    created: float


@dataclasses.dataclass
class Project:
    """A project; only its owner may see it."""

    id: str
    name: str
    owner_id: str
    created: float


class Data:
    """A file (``fil.``) or folder (``fol.``) of a project, with its tags."""

    __slots__ = ("id", "project_id", "path", "user_tags", "technical_tags", "dates")

    def __init__(self, id: str, project_id: str, path: str) -> None:
        self.id = id
        self.project_id = project_id
        self.path = path
        self.user_tags: List[str] = []
        self.technical_tags: List[str] = []
        self.dates: Dict[str, str] = {}

    @property
    def is_folder(self) -> bool:
        """Whether this is a folder, whose updates reach everything under it."""
        return self.id.startswith("fol.")


class Item:
    """One data id of a batch: what to do (its group) and how it ended."""

    __slots__ = ("id", "data_id", "group", "result", "info")

    def __init__(self, id: str, data_id: str, group: int) -> None:
        self.id = id
        self.data_id = data_id
        self.group = group
        self.result: Optional[str] = None
        self.info: Optional[str] = None


@dataclasses.dataclass
class Batch:
    """A project data update batch and its job (see ``lifecycle.py``)."""

    id: str
    job_id: str
    project_id: str
    owner_id: str
    created: float
    pace: lifecycle.Pace
    groups: List[dict]
    items: List[Item] = dataclasses.field(default_factory=list)
    index: Dict[str, int] = dataclasses.field(default_factory=dict)
    steps: float = 0.0
    phase: int = 0
    done: int = 0
    started: Optional[float] = None
    finished: Optional[float] = None
    failed: List[int] = dataclasses.field(default_factory=list)
    orders: Dict[tuple, List[int]] = dataclasses.field(default_factory=dict, repr=False)


class State:
    """The emulator's whole world, and the operations that change it."""

    def __init__(
        self,
        *,
        store: NullStore | None = None,
        clock: Callable[[], float] = time.time,
        api_key: str | None = None,
        access_token: str | None = None,
        seed: dict | None = None,
        pace: object = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.store = store or NullStore()
        self.pace = lifecycle.make_pace(pace)
        self._seed = seed
        self._clear()
        loaded = self.store.load()
        meta = (loaded.get("meta") or [{}])[-1]
        self.api_key = api_key or meta.get("apiKey") or "emu-" + secrets.token_hex(16)
        self.access_token = access_token or meta.get("accessToken") or _token()
        if loaded:
            self._restore_or_refuse(loaded)
            self._add_defaults()
        else:
            self._bootstrap()

    def _clear(self) -> None:
        self.users: Dict[str, User] = {}
        self.credentials: Dict[str, tuple] = {}
        self.projects: Dict[str, Project] = {}
        self.data: Dict[str, Data] = {}
        self.batches: Dict[str, Batch] = {}
        self._active: List[Batch] = []
        self._paths: Dict[str, Dict[str, str]] = {}
        self._sorted_paths: Dict[str, List[str]] = {}

    def _bootstrap(self) -> None:
        self._add_defaults()
        if self._seed:
            self.seed(self._seed)

    def _add_defaults(self) -> None:
        user = self.add_user(DEFAULT_USERNAME)
        self.default_user = user
        self.add_credential(user.id, self.api_key, API_KEY)
        self.add_credential(user.id, self.access_token, ACCESS_TOKEN)
        meta = {"apiKey": self.api_key, "accessToken": self.access_token}
        self.store.put_many("meta", [("meta", meta)])

    def reset(self) -> None:
        """Forget everything and start again from the defaults and the seed."""
        with self.lock:
            self.store.clear()
            self._clear()
            self._bootstrap()
        log.info("emulator state reset")

    # -- users and credentials -------------------------------------------

    def add_user(self, username: str, email: str | None = None) -> User:
        """The user called ``username``, made if new."""
        with self.lock:
            for user in self.users.values():
                if user.username == username:
                    return user

            email = email or "%s@example.com" % username
            user = User(str(uuid.uuid4()), username, email, self.clock())
            self.users[user.id] = user
            self.store.put_many("user", [(user.id, dataclasses.asdict(user))])
            return user

    def user_named(self, username: str) -> User:
        """The user called ``username``; KeyError if there is none."""
        for user in self.users.values():
            if user.username == username:
                return user
        raise KeyError("no user named %r" % username)

    def add_credential(self, user_id: str, secret: str, kind: str = API_KEY) -> None:
        """Accept ``secret`` as an API key or access token of ``user_id``."""
        if kind not in (API_KEY, ACCESS_TOKEN):
            raise ValueError(
                "credential kind must be %r or %r, got %r"
                % (API_KEY, ACCESS_TOKEN, kind)
            )
        with self.lock:
            self.credentials[secret] = (kind, user_id)
            record = {"secret": secret, "kind": kind, "user": user_id}
            self.store.put_many("credential", [(secret, record)])

    def authenticate(self, kind: str, secret: str) -> Optional[User]:
        """The user whose credential of ``kind`` is ``secret``, or None."""
        found = self.credentials.get(secret)
        if found is None or found[0] != kind:
            return None
        return self.users.get(found[1])

    # -- projects and data -----------------------------------------------

    def add_project(
        self, name: str, owner_id: str, project_id: str | None = None
    ) -> Project:
        """A new project owned by ``owner_id``."""
        with self.lock:
            project = Project(
                canonical_id(project_id) if project_id else str(uuid.uuid4()),
                name,
                owner_id,
                self.clock(),
            )
            self.projects[project.id] = project
            self._paths.setdefault(project.id, {})
            self.store.put_many("project", [(project.id, dataclasses.asdict(project))])
            return project

    def find_project(self, project_id: str) -> Optional[Project]:
        """The project with id ``project_id`` (a UUID in any case), or None."""
        return self.projects.get(canonical_id(project_id))

    def add_data(
        self,
        project_id: str,
        path: str,
        data_id: str | None = None,
        user_tags: Iterable[str] = (),
        technical_tags: Iterable[str] = (),
    ) -> Data:
        """The data at ``path`` in the project, made (with its folders) if new."""
        project_id = canonical_id(project_id)
        if project_id not in self.projects:
            raise KeyError("no project with id %r" % project_id)
        if not path or path == "/":
            raise ValueError("a data path must name a file or folder, got %r" % path)
        if data_id is not None and not DATA_ID.match(data_id):
            msg = "a data id must be 'fil.' or 'fol.' and 32 hex digits, got %r"
            raise ValueError(msg % data_id)

        path = path if path.startswith("/") else "/" + path
        with self.lock:
            made = []
            parts = path.rstrip("/").split("/")[1:]
            for depth in range(1, len(parts)):
                folder = "/" + "/".join(parts[:depth]) + "/"
                made.append(self._add_one(project_id, folder, None))
            data = self._add_one(project_id, path, data_id)
            for tag in user_tags:
                if tag not in data.user_tags:
                    data.user_tags.append(tag)
            for tag in technical_tags:
                if tag not in data.technical_tags:
                    data.technical_tags.append(tag)

            self.save_data(made + [data])
            return data

    def _add_one(self, project_id: str, path: str, data_id: str | None) -> Data:
        paths = self._paths.setdefault(project_id, {})
        if path in paths:
            if data_id not in (None, paths[path]):
                msg = "path %r already has id %r, not %r" % (path, paths[path], data_id)
                raise ValueError(msg)
            return self.data[paths[path]]
        if data_id in self.data:
            raise ValueError("data id %r is taken by another path" % data_id)

        prefix = "fol." if path.endswith("/") else "fil."
        if data_id is not None and not data_id.startswith(prefix):
            msg = "path %r needs a %r id, got %r" % (path, prefix, data_id)
            raise ValueError(msg)
        data = Data(data_id or prefix + uuid.uuid4().hex, project_id, path)
        self.data[data.id] = data
        paths[path] = data.id
        self._sorted_paths.pop(project_id, None)
        return data

    def descendants(self, folder: Data) -> List[Data]:
        """Every data under ``folder``'s path in its project."""
        paths = self._paths.get(folder.project_id, {})
        ordered = self._sorted_paths.get(folder.project_id)
        if ordered is None:
            ordered = self._sorted_paths[folder.project_id] = sorted(paths)

        found = []
        start = bisect.bisect_right(ordered, folder.path)
        for path in ordered[start:]:
            if not path.startswith(folder.path):
                break
            found.append(self.data[paths[path]])
        return found

    def save_data(self, datas: Iterable[Data]) -> None:
        """Mirror changed data into the store."""
        self.store.put_many("data", ((d.id, _data_record(d)) for d in datas))

    # -- batches ----------------------------------------------------------

    def add_batch(self, project_id: str, owner_id: str, groups: List[dict]) -> Batch:
        """A new batch with one item per data id of each group, in order."""
        with self.lock:
            batch = Batch(
                id=str(uuid.uuid4()),
                job_id=str(uuid.uuid4()),
                project_id=project_id,
                owner_id=owner_id,
                created=self.clock(),
                pace=self.pace,
                groups=[{k: v for k, v in g.items() if k != "dataIds"} for g in groups],
            )
            for number, group in enumerate(groups):
                for data_id in group["dataIds"]:
                    batch.items.append(Item(str(uuid.uuid4()), data_id, number))
            batch.index = {item.id: i for i, item in enumerate(batch.items)}
            self.batches[batch.id] = batch
            self._active.append(batch)

            self.save_batch(batch)
            self.save_items(batch, batch.items)
        log.info("created batch %s with %d items", batch.id, len(batch.items))
        return batch

    def find_batch(self, batch_id: str) -> Optional[Batch]:
        """The batch with id ``batch_id`` (a UUID in any case), or None."""
        return self.batches.get(canonical_id(batch_id))

    def settle(self, now: float | None = None) -> None:
        """Catch every unfinished batch up to ``now``, oldest first."""
        now = self.clock() if now is None else now
        with self.lock:
            for batch in list(self._active):
                lifecycle.settle(self, batch, now)
                if batch.finished is not None:
                    self._active.remove(batch)

    def save_batch(self, batch: Batch) -> None:
        """Mirror a batch (not its items) into the store."""
        self.store.put_many("batch", [(batch.id, _batch_record(batch))])

    def save_items(self, batch: Batch, items: Iterable[Item]) -> None:
        """Mirror items of ``batch`` into the store."""
        rows = (
            (
                it.id,
                {
                    "batch": batch.id,
                    "i": batch.index[it.id],
                    "id": it.id,
                    "dataId": it.data_id,
                    "group": it.group,
                    "result": it.result,
                    "info": it.info,
                },
            )
            for it in items
        )
        self.store.put_many("item", rows)

    # -- seeding ----------------------------------------------------------

    def seed(self, document: dict) -> dict:
        """Add the users, projects and data of a seed document; say what was made.

        A wrong document raises ``SeedError`` naming the entry, such as
        ``projects[0].data[2]``. Not transactional: what came before the
        error stays.
        """
        if not isinstance(document, dict):
            msg = "a seed document must be a JSON object, got %r"
            raise SeedError(msg % type(document).__name__)

        summary: dict = {"users": {}, "projects": []}
        with self.lock:
            for where, entry in _entries(document, "users", ""):
                with _seeding(where):
                    user = self._seed_user(entry, where)
                summary["users"][user.username] = user.id
            for where, entry in _entries(document, "projects", ""):
                with _seeding(where):
                    summary["projects"].append(self._seed_project(entry, where))
        return summary

    def _seed_user(self, entry: dict, where: str) -> User:
        user = self.add_user(_required(entry, "username", where), entry.get("email"))
        for _, key in _entries(entry, "apiKeys", where):
            self.add_credential(user.id, key, API_KEY)
        for _, token in _entries(entry, "accessTokens", where):
            self.add_credential(user.id, token, ACCESS_TOKEN)
        return user

    def _seed_project(self, entry: dict, where: str) -> dict:
        name = _required(entry, "name", where)
        owner = entry.get("owner")
        owner_id = self.user_named(owner).id if owner else self.default_user.id
        project = self.add_project(name, owner_id, entry.get("id"))

        made = {}
        for inner, item in _entries(entry, "data", where):
            item = {"path": item} if isinstance(item, str) else item
            with _seeding(inner):
                data = self.add_data(
                    project.id,
                    _required(item, "path", inner),
                    item.get("id"),
                    [tag for _, tag in _entries(item, "userTags", inner)],
                    [tag for _, tag in _entries(item, "technicalTags", inner)],
                )
            made[data.path] = data.id
        return {"id": project.id, "name": project.name, "data": made}

    # -- restoring from a store ------------------------------------------

    def _restore_or_refuse(self, loaded: Dict[str, List[dict]]) -> None:
        """Restore ``loaded``; ``StateFileError`` if its records are not ours."""
        try:
            self._restore(loaded)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            path = getattr(self.store, "path", None)
            msg = "state file %r cannot be used: its records are not an emulator's"
            detail = " (%s: %s)" % (type(err).__name__, err)
            raise StateFileError(msg % path + detail) from err

    def _restore(self, loaded: Dict[str, List[dict]]) -> None:
        for record in loaded.get("user", ()):
            self.users[record["id"]] = User(**record)
        for record in loaded.get("credential", ()):
            self.credentials[record["secret"]] = (record["kind"], record["user"])
        for record in loaded.get("project", ()):
            project = Project(**dict(record, id=canonical_id(record["id"])))
            self.projects[project.id] = project
            self._paths.setdefault(project.id, {})
        for record in loaded.get("data", ()):
            project_id = canonical_id(record["projectId"])
            data = Data(record["id"], project_id, record["path"])
            data.user_tags = record["userTags"]
            data.technical_tags = record["technicalTags"]
            data.dates = record["dates"]
            self.data[data.id] = data
            self._paths.setdefault(data.project_id, {})[data.path] = data.id

        items: Dict[str, list] = {}
        for record in loaded.get("item", ()):
            items.setdefault(record["batch"], []).append(record)
        for record in sorted(loaded.get("batch", ()), key=lambda r: r["created"]):
            batch = _batch_from_record(record, items.get(record["id"], []))
            self.batches[batch.id] = batch
            if batch.finished is None:
                self._active.append(batch)
        log.info(
            "restored %d projects and %d batches", len(self.projects), len(self.batches)
        )


@contextlib.contextmanager
def _seeding(where: str) -> Iterator[None]:
    """Name the seed entry ``where`` in any error raised while adding it."""
    try:
        yield
    except SeedError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        reason = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise SeedError("%s: %s" % (where, reason)) from None


def _entries(owner: dict, key: str, where: str) -> Iterator[tuple]:
    """``(where, entry)`` for each element of the list ``owner[key]``, if any."""
    path = "%s.%s" % (where, key) if where else key
    if not isinstance(owner, dict):
        raise SeedError("%s: must be a JSON object, got %r" % (where, owner))
    values = owner.get(key)
    if values is None:
        return
    if not isinstance(values, list):
        raise SeedError("%s: must be a list, got %r" % (path, values))
    for number, value in enumerate(values):
        yield "%s[%d]" % (path, number), value


def _required(entry: dict, key: str, where: str):
    """``entry[key]``; a ``SeedError`` naming ``where`` if it is missing."""
    if not isinstance(entry, dict):
        raise SeedError("%s: must be a JSON object, got %r" % (where, entry))
    if entry.get(key) in (None, ""):
        raise SeedError("%s: %r is required" % (where, key))
    return entry[key]


def _token() -> str:
    """A JWT-shaped bearer token (unsigned; the emulator only compares it)."""

    def part(obj: dict) -> str:
        raw = json.dumps(obj, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    claims = {"iss": "icasdk-emulator", "exp": 4102444800, "jti": uuid.uuid4().hex}
    return "%s.%s." % (part({"alg": "none", "typ": "JWT"}), part(claims))


def _data_record(data: Data) -> dict:
    return {
        "id": data.id,
        "projectId": data.project_id,
        "path": data.path,
        "userTags": data.user_tags,
        "technicalTags": data.technical_tags,
        "dates": data.dates,
    }


def _batch_record(batch: Batch) -> dict:
    return {
        "id": batch.id,
        "jobId": batch.job_id,
        "projectId": batch.project_id,
        "ownerId": batch.owner_id,
        "created": batch.created,
        "rate": batch.pace.items_per_second,
        "phaseSeconds": batch.pace.phase_seconds,
        "groups": batch.groups,
        "steps": batch.steps,
        "phase": batch.phase,
        "done": batch.done,
        "started": batch.started,
        "finished": batch.finished,
    }


def _batch_from_record(record: dict, item_records: List[dict]) -> Batch:
    batch = Batch(
        id=record["id"],
        job_id=record["jobId"],
        project_id=canonical_id(record["projectId"]),
        owner_id=record["ownerId"],
        created=record["created"],
        pace=lifecycle.Pace(record["rate"], record["phaseSeconds"]),
        groups=record["groups"],
        steps=record["steps"],
        phase=record["phase"],
        done=record["done"],
        started=record["started"],
        finished=record["finished"],
    )
    for entry in sorted(item_records, key=lambda r: r["i"]):
        item = Item(entry["id"], entry["dataId"], entry["group"])
        item.result, item.info = entry["result"], entry["info"]
        batch.items.append(item)
    batch.index = {item.id: i for i, item in enumerate(batch.items)}
    batch.failed = [
        i
        for i, item in enumerate(batch.items[: batch.done])
        if item.result == lifecycle.FAILED
    ]
    return batch
