"""One handler per operation of the Project Data Update Batch API.

Each takes the emulator's ``State`` and a routed, authenticated and validated
``Request`` and returns a ``Response`` or raises a ``ProblemError``. They run
with the state lock held, after every batch has been settled to now.

Ids of UUID form in the path are UUIDs: any case finds the same project,
batch or item, and answers (bodies and Problem details) give the canonical
lower-case form (see ``state.canonical_id``).

A 400 comes only from a rule the definition states (its schemas and the
create operation's 100,000 limit, checked in ``validation.py``) or from a
value that cannot mean what the definition says; each handler lists those
it keeps. A wrong Accept header is a 400 too (see ``server.py``).
"""

from __future__ import annotations

import logging

from icasdk.emulator import paging, render
from icasdk.emulator.exchange import Request, Response
from icasdk.emulator.problems import ProblemError
from icasdk.emulator.state import Batch, Project, State, canonical_id

log = logging.getLogger(__name__)


def create_batch(state: State, request: Request) -> Response:
    """createProjectDataUpdateBatch: a batch with one item per data id, 201.

    Data ids are not checked here: an unknown id, or one of another project,
    makes its item FAILED when the job reaches it, as on ICA. A data id given
    twice makes two items. No data ids at all (the definition sets no
    minimum) makes a batch with no items, SUCCEEDED once it has run.

    400s: a body that is not JSON (both declared body types are JSON), one
    the definition's schema refuses, and more than 100,000 data ids in all
    (the operation's description says that is not allowed).

    Not implemented: the archive and delete dates are stored on the data but
    nothing is archived or deleted; no idempotency key (ICA has none either).
    """
    project = _project(state, request)

    batch = state.add_batch(
        project.id, request.user.id, request.body["dataUpdateGroups"]
    )
    return Response(201, render.batch(batch, request.user, project))


def get_batch(state: State, request: Request) -> Response:
    """getProjectDataUpdateBatch: the batch and its job as they stand now.

    Not implemented: STOPPED (a batch cannot be stopped through this API).
    """
    project = _project(state, request)
    batch = _batch(state, project, request)

    owner = state.users[batch.owner_id]
    return Response(200, render.batch(batch, owner, project))


def list_items(state: State, request: Request) -> Response:
    """getProjectDataUpdateBatchItems: a page of items (see ``paging.py``).

    Any mix of the optional query values is accepted. With ``pageOffset`` or
    ``sort`` the page is an offset page (``totalItemCount`` set,
    ``nextPageToken`` empty) and a ``pageToken`` is ignored; otherwise it is
    a cursor page that goes on from ``pageToken``.

    400s kept, as the value cannot mean what the definition describes: a
    status outside its enum; a ``pageSize`` or ``pageOffset`` that is not a
    whole number of rows, a ``pageSize`` of 0 or above 1000; a ``sort`` that
    is not fields with ``asc``/``desc``; a ``pageToken`` not given out for
    this batch. ``paging.py`` says why each is kept.

    Not implemented: PARTIALLY_UPDATED never occurs (a folder's update either
    reaches all of it or, for a bad id, none of it); offset paging's 200,000
    row limit is not enforced, as a batch holds at most 100,000 items.
    """
    project = _project(state, request)
    batch = _batch(state, project, request)

    return Response(200, paging.page(batch, request))


def get_item(state: State, request: Request) -> Response:
    """getProjectDataUpdateBatchItem: one item of a batch.

    Not implemented: nothing beyond the definition; an item id of another
    batch is a 404 like an unknown one.
    """
    project = _project(state, request)
    batch = _batch(state, project, request)
    item_id = canonical_id(request.path_params["itemId"])
    index = batch.index.get(item_id)
    if index is None:
        detail = "Batch %s has no item %s." % (batch.id, item_id)
        raise ProblemError(404, "not-found", detail)

    return Response(200, render.item(batch, index))


def _project(state: State, request: Request) -> Project:
    """The project of the path; 404 if unknown, 403 if the caller may not see it."""
    project_id = canonical_id(request.path_params["projectId"])
    project = state.find_project(project_id)
    if project is None:
        raise ProblemError(404, "not-found", "Project %s was not found." % project_id)
    if project.owner_id != request.user.id:
        log.debug("user %s may not see project %s", request.user.username, project_id)
        detail = "You do not have access to project %s." % project_id
        raise ProblemError(403, "forbidden", detail)
    return project


def _batch(state: State, project: Project, request: Request) -> Batch:
    """The batch of the path within ``project``; 404 otherwise."""
    batch_id = canonical_id(request.path_params["batchId"])
    batch = state.find_batch(batch_id)
    if batch is None or batch.project_id != project.id:
        detail = "Project %s has no data update batch %s." % (project.id, batch_id)
        raise ProblemError(404, "not-found", detail)
    return batch
