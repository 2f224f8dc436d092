"""When to try a request again, and how long to wait first.

``RetryPolicy`` is a value object: every retry makes a new policy with one
more entry in ``history``, so one policy can be shared by many threads and
many calls. It decides from the method, the status or the error, and the
``Retry-After`` header; ``ApiClient`` does the looping and the waiting, with
the policy's ``sleep`` function (tests pass their own, so nothing waits).

What may be retried:

- a connection that failed before the request was sent (it could not be
  opened, or opening it timed out): any method, POST included;
- a read that failed or timed out, or a connection dropped mid-request: only
  methods in ``RETRY_METHODS`` (GET), since a POST may have reached the
  server and been acted on;
- a status in ``RETRY_STATUSES``: GET always; other methods only on 429,
  where the server says it did not act on the request.
"""

from __future__ import annotations

import dataclasses
import datetime
import email.utils
import logging
import random
import time
import typing

import urllib3
from urllib3 import exceptions as urllib3_errors

log = logging.getLogger(__name__)

# The limits, all in one place.
DEFAULT_RETRIES = 3
"""Retries after the first attempt, so at most four attempts in all."""
DEFAULT_BACKOFF_FACTOR = 0.5
"""Seconds before the first retry; it doubles with each further retry."""
BACKOFF_MAX = 30.0
"""The longest wait computed by backoff, in seconds."""
RETRY_AFTER_MAX = 120.0
"""The longest wait a ``Retry-After`` header can ask for, in seconds."""
JITTER = 0.5
"""The share of each backoff wait that is random: 0.5 waits 50% to 100%."""
RETRY_STATUSES = frozenset({429, 502, 503, 504})
TOO_MANY_REQUESTS = 429
RETRY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""Methods that are safe to send again after a failure mid-request."""

# The connection could not be made: the request never left the client.
_NOT_SENT_ERRORS = (urllib3_errors.ConnectTimeoutError,)
# The request may have reached the server before the failure.
_MAYBE_SENT_ERRORS = (urllib3_errors.ReadTimeoutError, urllib3_errors.ProtocolError)


class RetryEvent(typing.NamedTuple):
    """One failed attempt that was retried, and the wait before the next one."""

    method: str
    path: str
    status: typing.Optional[int]
    error: typing.Optional[BaseException]
    delay: float


def _default_random() -> float:
    return random.random()


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon to retry; immutable, ``increment`` makes the next one.

    ``total`` is the number of retries allowed after the first attempt.
    ``sleep`` is called with the seconds to wait; ``random`` returns a float in
    [0, 1) for the jitter. Both are injectable so tests never wait.
    """

    total: int = DEFAULT_RETRIES
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    backoff_max: float = BACKOFF_MAX
    retry_after_max: float = RETRY_AFTER_MAX
    statuses: typing.FrozenSet[int] = RETRY_STATUSES
    respect_retry_after: bool = True
    sleep: typing.Callable[[float], object] = dataclasses.field(
        default=time.sleep, repr=False, compare=False
    )
    random: typing.Callable[[], float] = dataclasses.field(
        default=_default_random, repr=False, compare=False
    )
    history: typing.Tuple[RetryEvent, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.total, bool) or not isinstance(self.total, int):
            msg = f"retries must be an int, got {self.total!r}"
            raise TypeError(msg)
        if self.total < 0:
            msg = f"retries must be 0 or more, got {self.total!r}"
            raise ValueError(msg)
        if self.backoff_factor < 0:
            msg = f"retry backoff factor must be 0 or more, got {self.backoff_factor!r}"
            raise ValueError(msg)

    @classmethod
    def from_setting(
        cls,
        setting: typing.Union[None, int, urllib3.Retry, RetryPolicy],
        backoff_factor: typing.Optional[float] = None,
    ) -> RetryPolicy:
        """The policy for ``Configuration.retries``: None, a count, a Retry, a policy.

        A urllib3 ``Retry`` keeps its total, backoff factor, status list and
        ``Retry-After`` choice; icasdk does the retrying itself, so urllib3's
        own method list does not widen which requests are retried.
        """
        if isinstance(setting, RetryPolicy):
            return setting

        factor = DEFAULT_BACKOFF_FACTOR if backoff_factor is None else backoff_factor
        if setting is None:
            return cls(backoff_factor=factor)
        if isinstance(setting, urllib3.Retry):
            return cls._from_urllib3(setting, backoff_factor)
        if isinstance(setting, bool) or not isinstance(setting, int):
            msg = (
                "retries must be None, an int, a urllib3.Retry or an "
                f"icasdk.retries.RetryPolicy, got {setting!r}"
            )
            raise TypeError(msg)
        return cls(total=setting, backoff_factor=factor)

    @classmethod
    def _from_urllib3(
        cls, retry: urllib3.Retry, backoff_factor: typing.Optional[float]
    ) -> RetryPolicy:
        total = retry.total
        if total is False or total is None:
            total = 0 if total is False else DEFAULT_RETRIES
        factor = retry.backoff_factor if backoff_factor is None else backoff_factor
        statuses = frozenset(retry.status_forcelist or RETRY_STATUSES)
        return cls(
            total=int(total),
            backoff_factor=factor,
            statuses=statuses,
            respect_retry_after=retry.respect_retry_after_header,
        )

    # -- decisions ----------------------------------------------------------

    @property
    def retries_left(self) -> int:
        return self.total - len(self.history)

    def should_retry_status(self, method: str, status: int) -> bool:
        """True when ``status`` may be retried for ``method`` and retries are left."""
        if self.retries_left <= 0 or status not in self.statuses:
            return False
        return method.upper() in RETRY_METHODS or status == TOO_MANY_REQUESTS

    def should_retry_error(self, method: str, error: BaseException) -> bool:
        """True when a failed attempt may be sent again and retries are left."""
        if self.retries_left <= 0:
            return False
        if is_not_sent(error):
            return True
        return method.upper() in RETRY_METHODS and isinstance(error, _MAYBE_SENT_ERRORS)

    def delay(self, retry_after: typing.Optional[str] = None) -> float:
        """Seconds to wait before the next attempt.

        A ``Retry-After`` header wins when it parses (capped at
        ``retry_after_max``); otherwise exponential backoff with jitter, capped
        at ``backoff_max``.
        """
        if retry_after is not None and self.respect_retry_after:
            asked = parse_retry_after(retry_after)
            if asked is not None:
                return min(asked, self.retry_after_max)

        base = self.backoff_factor * (2 ** len(self.history))
        base = min(base, self.backoff_max)
        return base * (1 - JITTER) + base * JITTER * self.random()

    def increment(
        self,
        method: str,
        path: str,
        *,
        status: typing.Optional[int] = None,
        error: typing.Optional[BaseException] = None,
        retry_after: typing.Optional[str] = None,
    ) -> RetryPolicy:
        """The policy after one more retry, its wait recorded in ``history``."""
        event = RetryEvent(method, path, status, error, self.delay(retry_after))
        return dataclasses.replace(self, history=(*self.history, event))

    def wait(self) -> None:
        """Sleep for the wait recorded by the last ``increment``."""
        if self.history:
            self.sleep(self.history[-1].delay)


def is_not_sent(error: BaseException) -> bool:
    """True when the attempt failed before any byte of the request was sent."""
    if isinstance(error, urllib3_errors.ProxyError):
        error = getattr(error, "original_error", None) or error.__cause__ or error
    return isinstance(error, _NOT_SENT_ERRORS)


def parse_retry_after(value: str) -> typing.Optional[float]:
    """Seconds asked for by a ``Retry-After`` value (seconds or an HTTP date).

    None when it is neither; a date in the past gives 0.
    """
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)

    now = datetime.datetime.now(datetime.timezone.utc)
    return max((when - now).total_seconds(), 0.0)
