"""RFC 7807 Problems: the one error shape the emulator answers with.

Handlers raise :class:`ProblemError`; the server turns it into an
``application/problem+json`` body that validates against the definition's
``Problem`` schema (``parameters`` is always present, possibly empty).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Mapping

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Titles follow the HTTP reason phrases, as ICA's Problems do.
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """An answer that is a Problem: status, a slug for its type, detail, fields."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        parameters: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.parameters = dict(parameters or {})
        self.headers = dict(headers or {})


def utc_timestamp(seconds: float) -> str:
    """Format epoch seconds as ICA does: ISO 8601, UTC, milliseconds, ``Z``."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        moment.microsecond // 1000
    )


def problem_body(error: ProblemError, instance: str, now: float) -> dict:
    """The JSON body for ``error``; ``instance`` is the absolute request URI."""
    return {
        "id": str(uuid.uuid4()),
        "type": "urn:icasdk:emulator:problem:%s" % error.kind,
        "title": TITLES.get(error.status, "Error"),
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        "parameters": error.parameters,
        "timestamp": utc_timestamp(now),
    }
