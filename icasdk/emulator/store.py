"""Where emulator state is kept between runs: nowhere, or a SQLite file.

State lives in plain dicts (see ``state.py``); a store only mirrors it.
Every record is a JSON body filed under a kind (``user``, ``project``,
``data``, ``batch``, ``item``, ...) and an id, so the schema never changes
when a record gains a field.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from typing import Dict, Iterable, List, Tuple

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
        self._db = sqlite3.connect(path, check_same_thread=False)
        with self._db:
            self._db.execute(_SCHEMA)
        log.debug("keeping emulator state in %s", path)

    def put_many(self, kind: str, rows: Iterable[Tuple[str, dict]]) -> None:
        """Insert or replace ``(id, body)`` rows of ``kind`` in one transaction."""
        encoded = [(kind, key, json.dumps(body)) for key, body in rows]
        if not encoded:
            return

        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO records (kind, id, body) VALUES (?, ?, ?)",
                encoded,
            )

    def load(self) -> Dict[str, List[dict]]:
        """Every record, grouped by kind, in insertion order."""
        loaded: Dict[str, List[dict]] = {}
        with self._lock:
            cursor = self._db.execute("SELECT kind, body FROM records ORDER BY rowid")
            for kind, body in cursor:
                loaded.setdefault(kind, []).append(json.loads(body))

        log.debug("loaded %d kinds of records from %s", len(loaded), self.path)
        return loaded

    def clear(self) -> None:
        """Delete every record."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM records")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
