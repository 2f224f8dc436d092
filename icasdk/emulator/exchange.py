"""What a handler is given and what it gives back, with no HTTP in sight."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any, Dict, List, NamedTuple, Optional

from icasdk.emulator.problems import ProblemError

log = logging.getLogger(__name__)

API_CONTENT_TYPE = "application/vnd.illumina.v3+json"
CONTROL_CONTENT_TYPE = "application/json"


class RequestRecord(NamedTuple):
    """One request that reached the emulator; ``status`` is None if unanswered."""

    method: str
    path: str
    status: Optional[int]


@dataclasses.dataclass
class Request:
    """A request as handlers see it: routed, authenticated, body parsed."""

    method: str
    path: str
    path_params: Dict[str, str]
    query: Dict[str, List[str]]
    headers: Any
    raw_body: bytes = b""
    body: Any = None
    user: Any = None

    def first(self, name: str) -> Optional[str]:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    def json_body(self) -> Any:
        """The body parsed as JSON (``{}`` when empty); 400 Problem if it is not."""
        if not self.raw_body.strip():
            return {}
        try:
            return json.loads(self.raw_body)
        except ValueError as err:
            detail = "The request body is not valid JSON: %s." % err
            raise ProblemError(
                400, "invalid-json", detail, {"body": str(err)}
            ) from None


@dataclasses.dataclass
class Response:
    """A JSON answer: status, body (a JSON value) and content type."""

    status: int
    body: Any
    content_type: str = API_CONTENT_TYPE
    headers: Dict[str, str] = dataclasses.field(default_factory=dict)
