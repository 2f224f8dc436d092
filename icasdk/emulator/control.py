"""Handlers of the reserved ``/_emulator/`` routes, to drive a running emulator.

They do what the ``Emulator`` object's methods do, for a process started on
its own (``python -m icasdk.emulator``). They take no credential, answer
``application/json``, and are never logged, limited or faulted. Bodies are
JSON objects; the fields each reads are in its docstring.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from icasdk.emulator import lifecycle
from icasdk.emulator.exchange import CONTROL_CONTENT_TYPE, Request, Response
from icasdk.emulator.problems import ProblemError

if TYPE_CHECKING:
    from icasdk.emulator.server import App

log = logging.getLogger(__name__)


def _answer(body: object, status: int = 200) -> Response:
    return Response(status, body, CONTROL_CONTENT_TYPE)


def _bad(err: Exception) -> ProblemError:
    return ProblemError(400, "control", str(err).strip("'\""))


def info(app: App, request: Request) -> Response:
    """``GET /_emulator``: the pace and how many batches and requests there are."""
    with app.state.lock:
        batches = len(app.state.batches)
    return _answer(
        {
            "pace": app.state.pace.describe(),
            "batches": batches,
            "requests": len(app.requests()),
        }
    )


def reset(app: App, request: Request) -> Response:
    """``POST /_emulator/reset``: back to defaults and seed, no faults, no log."""
    app.reset()
    return _answer({"reset": True})


def seed(app: App, request: Request) -> Response:
    """``POST /_emulator/seed``: add a seed document (see ``state.py``); say what."""
    try:
        return _answer(app.state.seed(request.json_body()), 201)
    except (KeyError, ValueError, TypeError) as err:
        raise _bad(err) from None


def advance(app: App, request: Request) -> Response:
    """``POST /_emulator/advance``: ``{"batchId"?, "items"?}``; see ``advance()``."""
    body = request.json_body()
    try:
        moved = app.advance(body.get("batchId"), body.get("items"))
    except (KeyError, ValueError, TypeError) as err:
        raise _bad(err) from None
    return _answer({"advanced": moved})


def finish(app: App, request: Request) -> Response:
    """``POST /_emulator/finish``: ``{"batchId"?}``; every item of it final."""
    body = request.json_body()
    try:
        moved = app.advance(body.get("batchId"), None, to_end=True)
    except (KeyError, ValueError) as err:
        raise _bad(err) from None
    return _answer({"advanced": moved})


def set_pace(app: App, request: Request) -> Response:
    """``PUT /_emulator/pace``: ``{"pace": "step" | items per second | null}``."""
    try:
        app.state.pace = lifecycle.make_pace(request.json_body().get("pace"))
    except ValueError as err:
        raise _bad(err) from None
    return _answer({"pace": app.state.pace.describe()})


def list_faults(app: App, request: Request) -> Response:
    """``GET /_emulator/faults``: the faults in force."""
    return _answer([fault.describe() for fault in app.faults.active])


def add_fault(app: App, request: Request) -> Response:
    """``POST /_emulator/faults``: ``{"kind", ...}`` with ``Faults.inject``'s fields."""
    body = dict(request.json_body())
    try:
        fault = app.faults.inject(body.pop("kind", None), **body)
    except (TypeError, ValueError) as err:
        raise _bad(err) from None
    return _answer(fault.describe(), 201)


def clear_faults(app: App, request: Request) -> Response:
    """``DELETE /_emulator/faults``: remove every fault (or ``?id=N``, one)."""
    fault_id = request.first("id")
    app.faults.clear(int(fault_id) if fault_id and fault_id.isdigit() else None)
    return _answer({"cleared": True})


def list_requests(app: App, request: Request) -> Response:
    """``GET /_emulator/requests``: ``[{method, path, status}]``, oldest first."""
    return _answer([record._asdict() for record in app.requests()])


def clear_requests(app: App, request: Request) -> Response:
    """``DELETE /_emulator/requests``: forget the request log."""
    app.clear_requests()
    return _answer({"cleared": True})


def list_batches(app: App, request: Request) -> Response:
    """``GET /_emulator/batches``: ``[{id, projectId, status, items, done}]``."""
    state = app.state
    with state.lock:
        state.settle()
        found = [
            {
                "id": b.id,
                "projectId": b.project_id,
                "status": lifecycle.job_status(b),
                "items": len(b.items),
                "done": b.done,
            }
            for b in state.batches.values()
        ]
    return _answer(found)


def get_data(app: App, request: Request) -> Response:
    """``GET /_emulator/data/{dataId}``: a data's path, project and tags."""
    state = app.state
    data_id = request.path_params["dataId"]
    with state.lock:
        state.settle()
        data = state.data.get(data_id)
        if data is None:
            raise ProblemError(404, "not-found", "Data %s was not found." % data_id)
        found = {
            "id": data.id,
            "projectId": data.project_id,
            "path": data.path,
            "userTags": list(data.user_tags),
            "technicalTags": list(data.technical_tags),
            **data.dates,
        }
    return _answer(found)
