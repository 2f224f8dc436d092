"""Where emulator state is kept between runs: nowhere, or a SQLite file.

State lives in plain dicts (see ``state.py``); a store only mirrors it.
Every record is a JSON body filed under a kind (``user``, ``project``,
``data``, ``batch``, ``item``, ...) and an id, so the schema never changes
when a record gains a field.

A file that cannot be used (a directory, a missing folder, not a SQLite
database, a ``records`` table of another shape, a read-only file) raises
``StateFileError`` naming the path and the reason, at start or later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from typing import Dict, Iterable, Iterator, List, Tuple

from icasdk.emulator.errors import StateFileError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
)
"""


class NullStore:
    """Keeps nothing: the in-memory default."""

    def put_many(self, kind: str, rows: Iterable[Tuple[str, dict]]) -> None:
        """Forget ``rows``."""

    def load(self) -> Dict[str, List[dict]]:
        """Nothing was kept."""
        return {}

    def clear(self) -> None:
        """Nothing to clear."""

    def close(self) -> None:
        """Nothing to close."""


class SqliteStore(NullStore):
    """Mirrors records into a SQLite file so batches survive a restart."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._using():
            self._db = sqlite3.connect(path, check_same_thread=False)
            try:
                with self._db:
                    self._db.execute(_SCHEMA)
            except sqlite3.Error:
                self._db.close()
                raise
        log.debug("keeping emulator state in %s", path)

    @contextlib.contextmanager
    def _using(self) -> Iterator[None]:
        """Turn a SQLite or decoding failure into a ``StateFileError``."""
        try:
            yield
        except (sqlite3.Error, ValueError) as err:
            raise StateFileError(unusable(self.path, err)) from err

    def put_many(self, kind: str, rows: Iterable[Tuple[str, dict]]) -> None:
        """Insert or replace ``(id, body)`` rows of ``kind`` in one transaction."""
        encoded = [(kind, key, json.dumps(body)) for key, body in rows]
        if not encoded:
            return

        with self._lock, self._using(), self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO records (kind, id, body) VALUES (?, ?, ?)",
                encoded,
            )

    def load(self) -> Dict[str, List[dict]]:
        """Every record, grouped by kind, in insertion order."""
        loaded: Dict[str, List[dict]] = {}
        with self._lock, self._using():
            cursor = self._db.execute("SELECT kind, body FROM records ORDER BY rowid")
            for kind, body in cursor:
                loaded.setdefault(kind, []).append(json.loads(body))

        log.debug("loaded %d kinds of records from %s", len(loaded), self.path)
        return loaded

    def clear(self) -> None:
        """Delete every record."""
        with self._lock, self._using(), self._db:
            self._db.execute("DELETE FROM records")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def unusable(path: str, err: Exception) -> str:
    """Why the state file at ``path`` cannot be used, in words."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        reason = "it is a directory, not a file"
    elif not os.path.isdir(folder):
        reason = "its folder %r does not exist" % folder
    elif isinstance(err, sqlite3.DatabaseError) and "not a database" in str(err):
        reason = "it is not a SQLite database"
    else:
        reason = str(err)
    return "state file %r cannot be used: %s" % (path, reason)
