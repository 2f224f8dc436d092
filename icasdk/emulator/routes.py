"""The route table: the four API operations and the ``/_emulator/`` controls.

API paths are read from the definition (under its server URL ``/ica/rest``)
and joined to their handlers by operationId. Path segments are matched raw
and percent-decoded afterwards, so no parameter value can change the route.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import urllib.parse
from typing import Callable, Dict, List, Tuple

from icasdk.emulator import control, handlers, validation
from icasdk.emulator.problems import ProblemError

log = logging.getLogger(__name__)

API_PREFIX = "/ica/rest"
CONTROL_PREFIX = "/_emulator"

API_HANDLERS = {
    "createProjectDataUpdateBatch": handlers.create_batch,
    "getProjectDataUpdateBatch": handlers.get_batch,
    "getProjectDataUpdateBatchItems": handlers.list_items,
    "getProjectDataUpdateBatchItem": handlers.get_item,
}

CONTROL_ROUTES = [
    ("GET", "", control.info),
    ("POST", "/reset", control.reset),
    ("POST", "/seed", control.seed),
    ("POST", "/advance", control.advance),
    ("POST", "/finish", control.finish),
    ("PUT", "/pace", control.set_pace),
    ("GET", "/faults", control.list_faults),
    ("POST", "/faults", control.add_fault),
    ("DELETE", "/faults", control.clear_faults),
    ("GET", "/requests", control.list_requests),
    ("DELETE", "/requests", control.clear_requests),
    ("GET", "/batches", control.list_batches),
    ("GET", "/data/{dataId}", control.get_data),
]


@dataclasses.dataclass(frozen=True)
class Route:
    """A method and path template, and who answers it."""

    method: str
    template: str
    name: str
    handler: Callable
    control: bool = False

    @property
    def segments(self) -> List[str]:
        """The template split at ``/``."""
        return self.template.split("/")


def _build() -> List[Route]:
    table = []
    for operation_id, operation in validation.operations().items():
        table.append(
            Route(
                operation["method"],
                API_PREFIX + operation["path"],
                operation_id,
                API_HANDLERS[operation_id],
            )
        )
    for method, path, handler in CONTROL_ROUTES:
        table.append(
            Route(
                method, CONTROL_PREFIX + path, handler.__name__, handler, control=True
            )
        )
    return table


@functools.lru_cache(maxsize=None)
def table() -> Tuple[Route, ...]:
    """Every route, built from the definition on first use."""
    return tuple(_build())


def match(method: str, raw_path: str) -> Tuple[Route, Dict[str, str]]:
    """The route for ``method`` and ``raw_path`` and its decoded path parameters.

    A path no route has is a 404 Problem; a path with routes for other
    methods only is a 405 Problem with ``Allow``.
    """
    parts = raw_path.rstrip("/").split("/") if raw_path != "/" else [""]
    allowed = []
    for route in table():
        params = _bind(route.segments, parts)
        if params is None:
            continue
        if route.method == method:
            return route, params
        allowed.append(route.method)

    if allowed:
        detail = "%s is not allowed here; use %s." % (method, ", ".join(allowed))
        raise ProblemError(
            405, "method-not-allowed", detail, headers={"Allow": ", ".join(allowed)}
        )
    raise ProblemError(404, "not-found", "No resource at %s." % raw_path)


def _bind(template: List[str], parts: List[str]) -> Dict[str, str] | None:
    if len(template) != len(parts):
        return None

    params = {}
    for expected, actual in zip(template, parts):
        if expected.startswith("{") and expected.endswith("}"):
            if not actual:
                return None
            params[expected[1:-1]] = urllib.parse.unquote(actual)
        elif expected != actual:
            return None
    return params
