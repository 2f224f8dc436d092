"""The three ways of doing the same work that the benchmarks compare.

- ``Floor``: plain urllib3 and ``json.loads``/``json.dumps``; no models, no
  validation. Nothing that talks to the API in Python can do less.
- ``Icasdk``: this project, used as its README shows, with its defaults
  (responses validated; mismatches logged).
- ``Libica``: libica's pydantic 2 client for the same API
  (``libica.openapi.v3``), with its own models. It is measured, never
  imported by icasdk; without it installed its columns are skipped.

Each contender does the same thing for each step, the way a user of that
library would write it: parse a page's bytes into its model, get a page or
a batch over HTTP, build and send a create, and page through a batch
counting item statuses. Each is built in a fresh worker process
(``benchmarks.worker``), so no library's import slows another's figures.
"""

from __future__ import annotations

import collections
import importlib.util
import typing

from benchmarks import bodies

CONTENT_TYPE = "application/vnd.illumina.v3+json"
USER_TAGS_ADDED = ("study=ST-2024-17", "consent=research")
USER_TAGS_REMOVED = ("status=pending",)
TECHNICAL_TAGS_ADDED = ("curated=true",)

Counts = typing.Counter[str]


def _import_lines(names: typing.Sequence[typing.Tuple[str, str]]) -> str:
    return "\n".join(f"from {module} import {name}" for module, name in names)


class Contender:
    """What every contender does; subclasses fill it in with their library."""

    name = ""
    imports = ""
    """The statements benchmark 1 times in a fresh interpreter."""

    def parse(self, data: bytes) -> object:
        """The items page model for the body ``data``, fully validated."""
        raise NotImplementedError

    def connect(self, base_url: str, api_key: str) -> None:
        """Make the client for ``base_url``; no request is sent yet."""
        raise NotImplementedError

    def get_page(self, page_size: int) -> object:
        """One call: an items page of ``page_size`` items, as a model."""
        raise NotImplementedError

    def get_batch(self) -> object:
        """One call: the batch with its job, as a model."""
        raise NotImplementedError

    def create(self, data_ids: typing.Sequence[str]) -> object:
        """Build the create request for ``data_ids`` (one group) and send it."""
        raise NotImplementedError

    def count_statuses(self, batch_id: str, page_size: int) -> Counts:
        """Page through every item of a batch, counting items by status."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of the client's connections."""


class Floor(Contender):
    """urllib3 and the json module, nothing else."""

    name = "floor"
    imports = "import json\nimport urllib3"

    def __init__(self) -> None:
        import json

        import urllib3

        self._json = json
        self._urllib3 = urllib3

    def parse(self, data: bytes) -> object:
        return self._json.loads(data)

    def connect(self, base_url: str, api_key: str) -> None:
        self._pool = self._urllib3.PoolManager()
        self._base = f"{base_url}/api/projects/{bodies.PROJECT_ID}/dataUpdateBatch"
        self._headers = {"X-API-Key": api_key, "Accept": CONTENT_TYPE}

    def _call(self, method: str, url: str, **kwargs) -> typing.Any:
        response = self._pool.request(method, url, headers=self._headers, **kwargs)
        if not 200 <= response.status <= 299:
            msg = f"{method} {url} answered {response.status}: {response.data[:200]!r}"
            raise RuntimeError(msg)
        return self._json.loads(response.data)

    def get_page(self, page_size: int) -> object:
        fields = {"pageSize": str(page_size)}
        return self._call("GET", f"{self._base}/{bodies.BATCH_ID}/items", fields=fields)

    def get_batch(self) -> object:
        return self._call("GET", f"{self._base}/{bodies.BATCH_ID}")

    def create(self, data_ids: typing.Sequence[str]) -> object:
        body = {
            "dataUpdateGroups": [
                {
                    "dataIds": list(data_ids),
                    "userTags": {
                        "addTags": list(USER_TAGS_ADDED),
                        "removeTags": list(USER_TAGS_REMOVED),
                    },
                    "technicalTags": {"addTags": list(TECHNICAL_TAGS_ADDED)},
                }
            ]
        }
        encoded = self._json.dumps(body).encode("utf-8")
        headers = dict(self._headers, **{"Content-Type": CONTENT_TYPE})
        response = self._pool.request("POST", self._base, body=encoded, headers=headers)
        if response.status != 201:
            msg = f"create answered {response.status}: {response.data[:200]!r}"
            raise RuntimeError(msg)
        return self._json.loads(response.data)

    def count_statuses(self, batch_id: str, page_size: int) -> Counts:
        counts: Counts = collections.Counter()
        url = f"{self._base}/{batch_id}/items"
        fields = {"pageSize": str(page_size)}
        while True:
            page = self._call("GET", url, fields=fields)
            for item in page["items"]:
                counts[item["processing"]["status"]] += 1
            token = page.get("nextPageToken")
            if not token:
                return counts
            fields["pageToken"] = token

    def close(self) -> None:
        self._pool.clear()


ICASDK_IMPORTS = (
    ("icasdk", "ApiClient"),
    ("icasdk", "Configuration"),
    ("icasdk.apis.tags.project_data_update_batch_api", "ProjectDataUpdateBatchApi"),
    ("icasdk.model.create_project_data_update_batch", "CreateProjectDataUpdateBatch"),
    ("icasdk.model.project_data_update_batch", "ProjectDataUpdateBatch"),
    ("icasdk.model.project_data_update_batch_item", "ProjectDataUpdateBatchItem"),
    (
        "icasdk.model.project_data_update_batch_item_paged_list",
        "ProjectDataUpdateBatchItemPagedList",
    ),
)


class Icasdk(Contender):
    """icasdk as its README uses it."""

    name = "icasdk"
    imports = _import_lines(ICASDK_IMPORTS)

    def __init__(self) -> None:
        import json

        import icasdk
        from icasdk import schemas
        from icasdk.apis.tags import project_data_update_batch_api
        from icasdk.model import (
            create_project_data_update_batch,
            data_update_group,
            tag_update,
        )
        from icasdk.model.project_data_update_batch_item_paged_list import (
            ProjectDataUpdateBatchItemPagedList,
        )

        self._json = json
        self._icasdk = icasdk
        self._schemas = schemas
        self._api_class = project_data_update_batch_api.ProjectDataUpdateBatchApi
        self._page_model = ProjectDataUpdateBatchItemPagedList
        self._create_model = (
            create_project_data_update_batch.CreateProjectDataUpdateBatch
        )
        self._group_model = data_update_group.DataUpdateGroup
        self._tags_model = tag_update.TagUpdate

    def parse(self, data: bytes) -> object:
        # As the client does with a body: the parsed document is handed over.
        page, mismatches = self._schemas.from_response(
            self._page_model, self._json.loads(data), consume=True
        )
        if mismatches:
            raise bodies.InvalidBody(f"icasdk found mismatches: {mismatches[:3]}")
        return page

    def connect(self, base_url: str, api_key: str) -> None:
        configuration = self._icasdk.Configuration(
            host=base_url, api_key={"ApiKeyAuth": api_key}
        )
        self._client = self._icasdk.ApiClient(configuration)
        self._api = self._api_class(self._client)
        self._batch = {"projectId": bodies.PROJECT_ID, "batchId": bodies.BATCH_ID}

    def get_page(self, page_size: int) -> object:
        return self._api.get_project_data_update_batch_items(
            path_params=self._batch, query_params={"pageSize": page_size}
        ).body

    def get_batch(self) -> object:
        return self._api.get_project_data_update_batch(path_params=self._batch).body

    def create(self, data_ids: typing.Sequence[str]) -> object:
        body = self._create_model(
            data_update_groups=[
                self._group_model(
                    data_ids=data_ids,
                    user_tags=self._tags_model(
                        add_tags=USER_TAGS_ADDED, remove_tags=USER_TAGS_REMOVED
                    ),
                    technical_tags=self._tags_model(add_tags=TECHNICAL_TAGS_ADDED),
                )
            ]
        )
        return self._api.create_project_data_update_batch(
            path_params={"projectId": bodies.PROJECT_ID}, body=body
        ).body

    def count_statuses(self, batch_id: str, page_size: int) -> Counts:
        items = self._api.iter_project_data_update_batch_items(
            path_params={"projectId": bodies.PROJECT_ID, "batchId": batch_id},
            query_params={"pageSize": page_size},
        )
        return collections.Counter(item.processing.status for item in items)

    def close(self) -> None:
        self._client.close()


LIBICA_IMPORTS = (
    ("libica.openapi.v3", "ApiClient"),
    ("libica.openapi.v3", "Configuration"),
    (
        "libica.openapi.v3.api.project_data_update_batch_api",
        "ProjectDataUpdateBatchApi",
    ),
    (
        "libica.openapi.v3.models.create_project_data_update_batch",
        "CreateProjectDataUpdateBatch",
    ),
    ("libica.openapi.v3.models.project_data_update_batch", "ProjectDataUpdateBatch"),
    (
        "libica.openapi.v3.models.project_data_update_batch_item",
        "ProjectDataUpdateBatchItem",
    ),
    (
        "libica.openapi.v3.models.project_data_update_batch_item_paged_list",
        "ProjectDataUpdateBatchItemPagedList",
    ),
)


class Libica(Contender):
    """libica 3's pydantic 2 client (``libica.openapi.v3``) for the same API."""

    name = "libica"
    imports = _import_lines(LIBICA_IMPORTS)

    def __init__(self) -> None:
        from libica.openapi import v3
        from libica.openapi.v3 import models
        from libica.openapi.v3.api import project_data_update_batch_api

        self._v3 = v3
        self._api_class = project_data_update_batch_api.ProjectDataUpdateBatchApi
        self._page_model = models.ProjectDataUpdateBatchItemPagedList
        self._create_model = models.CreateProjectDataUpdateBatch
        self._group_model = models.DataUpdateGroup
        self._tags_model = models.TagUpdate

    def parse(self, data: bytes) -> object:
        return self._page_model.from_json(data)

    def connect(self, base_url: str, api_key: str) -> None:
        configuration = self._v3.Configuration(
            host=base_url, api_key={"ApiKeyAuth": api_key}
        )
        self._client = self._v3.ApiClient(configuration)
        self._api = self._api_class(self._client)

    def get_page(self, page_size: int) -> object:
        return self._api.get_project_data_update_batch_items(
            bodies.PROJECT_ID, bodies.BATCH_ID, page_size=str(page_size)
        )

    def get_batch(self) -> object:
        return self._api.get_project_data_update_batch(
            bodies.PROJECT_ID, bodies.BATCH_ID
        )

    def create(self, data_ids: typing.Sequence[str]) -> object:
        body = self._create_model(
            data_update_groups=[
                self._group_model(
                    data_ids=list(data_ids),
                    user_tags=self._tags_model(
                        add_tags=list(USER_TAGS_ADDED),
                        remove_tags=list(USER_TAGS_REMOVED),
                    ),
                    technical_tags=self._tags_model(
                        add_tags=list(TECHNICAL_TAGS_ADDED)
                    ),
                )
            ]
        )
        return self._api.create_project_data_update_batch(bodies.PROJECT_ID, body)

    def count_statuses(self, batch_id: str, page_size: int) -> Counts:
        counts: Counts = collections.Counter()
        token = None
        while True:
            page = self._api.get_project_data_update_batch_items(
                bodies.PROJECT_ID, batch_id, page_token=token, page_size=str(page_size)
            )
            for item in page.items:
                counts[item.processing.status] += 1
            token = page.next_page_token
            if not token:
                return counts

    def close(self) -> None:
        self._client.rest_client.pool_manager.clear()


CONTENDERS: typing.Dict[str, typing.Type[Contender]] = {
    "floor": Floor,
    "icasdk": Icasdk,
    "libica": Libica,
}


def unavailable(name: str) -> typing.Optional[str]:
    """Why contender ``name`` cannot run here, or None when it can."""
    if name == "libica" and importlib.util.find_spec("libica") is None:
        return "libica is not installed (pip install -e '.[benchmarks]')"
    return None
