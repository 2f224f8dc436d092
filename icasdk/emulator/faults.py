"""Fault injection and the request rate limit, for reliability tests.

A fault is set for one operation (its operationId) or for all four, and
applies to the next ``count`` matching requests, or with a ``probability``
drawn from its own ``random.Random(seed)``, or to every match until
cleared; ``after`` lets that many matches through first. Kinds:

=================  =========================================================
``latency``        wait ``delay`` seconds, then answer normally
``throttle``       429 Problem with ``Retry-After``; not processed
``unavailable``    503 Problem with ``Retry-After``; not processed
``server_error``   500 Problem; not processed
``bad_gateway``    502 with an HTML body, as a proxy sends; not processed
``disconnect``     close the connection before processing; no answer
``disconnect_after`` process (a POST creates its batch), then close unanswered
``truncate``       process, then send half the body and close
``invalid_json``   process, then answer the usual status with broken JSON
=================  =========================================================

``Retry-After`` is ``retry_after`` seconds, or that moment as an HTTP-date
when ``retry_after_date`` is true. Faults never touch ``/_emulator/`` routes.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import random
import threading
import time
from typing import Deque, List, Optional, Tuple

log = logging.getLogger(__name__)

BEFORE = ("throttle", "unavailable", "server_error", "bad_gateway", "disconnect")
AFTER = ("disconnect_after", "truncate", "invalid_json")
KINDS = ("latency",) + BEFORE + AFTER
STATUS = {"throttle": 429, "unavailable": 503, "server_error": 500, "bad_gateway": 502}
OPERATIONS = (
    "createProjectDataUpdateBatch",
    "getProjectDataUpdateBatch",
    "getProjectDataUpdateBatchItems",
    "getProjectDataUpdateBatchItem",
)


@dataclasses.dataclass
class Fault:
    """One injected fault and what is left of it."""

    id: int
    kind: str
    operation: Optional[str] = None
    count: Optional[int] = None
    probability: Optional[float] = None
    seed: Optional[int] = None
    after: int = 0
    delay: float = 0.0
    retry_after: float = 1
    retry_after_date: bool = False
    applied: int = 0
    _random: random.Random = dataclasses.field(
        default_factory=random.Random, repr=False
    )

    def describe(self) -> dict:
        """The fault as JSON, for ``GET /_emulator/faults``."""
        fields = dataclasses.asdict(self)
        fields.pop("_random")
        return fields

    def _fires(self, operation: str) -> bool:
        if self.operation not in (None, operation) or self.count == 0:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        if self.probability is not None and self._random.random() >= self.probability:
            return False

        self.applied += 1
        if self.count is not None:
            self.count -= 1
        return True


class Faults:
    """The faults in force; ``inject`` adds one, ``clear`` removes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: List[Fault] = []
        self._next_id = 1

    def inject(
        self,
        kind: str,
        *,
        operation: str | None = None,
        count: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        after: int = 0,
        delay: float = 0.0,
        retry_after: float = 1,
        retry_after_date: bool = False,
    ) -> Fault:
        """Add a fault (see the module docstring) and return it."""
        if kind not in KINDS:
            raise ValueError(
                "fault kind must be one of %s, got %r" % (", ".join(KINDS), kind)
            )
        if operation is not None and operation not in OPERATIONS:
            raise ValueError(
                "operation must be one of %s or None, got %r"
                % (", ".join(OPERATIONS), operation)
            )
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, got %r" % (count,))
        if probability is not None and not 0 <= probability <= 1:
            raise ValueError("probability must be in [0, 1], got %r" % (probability,))

        with self._lock:
            fault = Fault(
                self._next_id,
                kind,
                operation,
                count,
                probability,
                seed,
                after,
                float(delay),
                retry_after,
                bool(retry_after_date),
            )
            fault._random.seed(seed)
            self._next_id += 1
            self._faults.append(fault)
        log.info("injected fault %d: %s on %s", fault.id, kind, operation or "all")
        return fault

    def clear(self, fault_id: int | None = None) -> None:
        """Remove one fault by id, or all of them."""
        with self._lock:
            self._faults = [
                f for f in self._faults if fault_id is not None and f.id != fault_id
            ]

    @property
    def active(self) -> List[Fault]:
        """The faults in force, in the order they are tried."""
        with self._lock:
            return [f for f in self._faults if f.count != 0]

    def pick(self, operation: str) -> Tuple[float, Optional[Fault]]:
        """For one request: the seconds of latency to add and the fault to act."""
        delay, chosen = 0.0, None
        with self._lock:
            for fault in self._faults:
                if fault.kind == "latency":
                    delay += fault.delay if fault._fires(operation) else 0.0
                elif chosen is None and fault._fires(operation):
                    chosen = fault
            self._faults = [f for f in self._faults if f.count != 0]
        if chosen is not None:
            log.info("fault %d (%s) acts on %s", chosen.id, chosen.kind, operation)
        return delay, chosen


class RateLimit:
    """At most ``per_second`` requests in any one-second window, else 429."""

    def __init__(self, per_second: float | None) -> None:
        if per_second is not None and not (
            isinstance(per_second, (int, float))
            and per_second > 0
            and math.isfinite(per_second)
        ):
            msg = "max_requests_per_second must be a positive number or None, got %r"
            raise ValueError(msg % (per_second,))
        self.per_second = per_second
        self._lock = threading.Lock()
        self._recent: Deque[float] = collections.deque()

    def wait_needed(self, now: float | None = None) -> int:
        """0 if a request may go on now, else whole seconds to wait."""
        if not self.per_second:
            return 0

        now = time.monotonic() if now is None else now
        with self._lock:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.per_second:
                return max(1, math.ceil(self._recent[0] + 1.0 - now))
            self._recent.append(now)
        return 0
