"""A raw HTTP client for the emulator tests, and the definition it checks against.

The client speaks plain urllib3 over real sockets (never icasdk) and checks
every API answer it gets against the definition with the independent
validator: the content type is the one the definition declares for that
status, and the body validates against its schema.
"""

from __future__ import annotations

import json
import logging
import pathlib
import re
import urllib.parse

import urllib3
from openapi_schema_validator import OAS30Validator, oas30_format_checker

import icasdk
from icasdk.emulator import Emulator

log = logging.getLogger(__name__)

SPEC = json.loads(
    (
        pathlib.Path(icasdk.__file__).parent
        / "spec"
        / "ica-data-update-batch.openapi.json"
    ).read_text()
)
V3 = "application/vnd.illumina.v3+json"
PROBLEM = "application/problem+json"
# (operationId, status) of every answer checked so far, for the coverage test.
SEEN = set()


def _operations():
    found = []
    for template, methods in SPEC["paths"].items():
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        for method, operation in methods.items():
            found.append(
                (method.upper(), re.compile("^/ica/rest%s$" % pattern), operation)
            )
    return found


OPERATIONS = _operations()


def schema_errors(schema: dict, body) -> list:
    """Messages for each way ``body`` breaks ``schema``, by the validator."""
    full = dict(schema, components=SPEC["components"])
    validator = OAS30Validator(full, format_checker=oas30_format_checker)
    return [
        "%s: %s" % (list(e.absolute_path), e.message)
        for e in validator.iter_errors(body)
    ]


def check_response(method: str, path: str, response) -> None:
    """Assert that an API answer has the declared content type and a valid body."""
    found = [
        op for verb, pattern, op in OPERATIONS if verb == method and pattern.match(path)
    ]
    if not found:
        return
    operation = found[0]
    declared = operation["responses"].get(str(response.status))
    declared = declared or operation["responses"]["default"]
    ((content_type, media),) = declared["content"].items()
    assert response.headers["Content-Type"] == content_type, path
    body = json.loads(response.data)
    errors = schema_errors(media["schema"], body)
    assert not errors, (response.status, path, errors)
    if content_type == PROBLEM:
        for field in ("type", "instance"):
            assert urllib.parse.urlsplit(body[field]).scheme, body[field]
        assert body["status"] == response.status
    SEEN.add((operation["operationId"], response.status))


class Client:
    """Raw HTTP to an emulator with its API key; checks each answer it gets."""

    def __init__(self, emu: Emulator, **headers) -> None:
        self.emu = emu
        self.pool = urllib3.PoolManager(retries=False, timeout=30)
        self.headers = {"X-API-Key": emu.api_key, "Accept": V3}
        self.headers.update(headers)

    def call(
        self, method, path, *, query=None, body=None, headers=None, check=True, raw=None
    ):
        """Send one request to ``base_url + path``; the urllib3 response."""
        sent = dict(self.headers)
        if body is not None or raw is not None:
            sent["Content-Type"] = V3
        sent.update(headers or {})
        sent = {k: v for k, v in sent.items() if v is not None}
        url = self.emu.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = (
            raw if raw is not None else (json.dumps(body) if body is not None else None)
        )
        response = self.pool.request(method, url, body=data, headers=sent)
        if check:
            check_response(method, "/ica/rest" + path, response)
        return response

    def create(self, project, *groups, expect=201):
        """Create a batch of ``groups``; its body."""
        response = self.call(
            "POST",
            "/api/projects/%s/dataUpdateBatch" % project,
            body={"dataUpdateGroups": list(groups)},
        )
        assert response.status == expect, response.data
        return json.loads(response.data)

    def batch(self, project, batch_id):
        """GET a batch; its body."""
        response = self.call(
            "GET", "/api/projects/%s/dataUpdateBatch/%s" % (project, batch_id)
        )
        assert response.status == 200, response.data
        return json.loads(response.data)

    def items(self, project, batch_id, expect=200, check=True, **query):
        """GET a page of items; its body."""
        response = self.call(
            "GET",
            "/api/projects/%s/dataUpdateBatch/%s/items" % (project, batch_id),
            query=query,
            check=check,
        )
        assert response.status == expect, response.data
        return json.loads(response.data)

    def control(self, method, path, body=None):
        """Call a ``/_emulator`` route; the urllib3 response."""
        data = json.dumps(body) if body is not None else None
        return self.pool.request(
            method,
            self.emu.control_url + path,
            body=data,
            headers={"Content-Type": "application/json"},
        )


def group(*data_ids, add=(), remove=(), tech_add=(), tech_remove=()):
    """A DataUpdateGroup body."""
    found = {"dataIds": list(data_ids)}
    if add or remove:
        found["userTags"] = {"addTags": list(add), "removeTags": list(remove)}
    if tech_add or tech_remove:
        found["technicalTags"] = {
            "addTags": list(tech_add),
            "removeTags": list(tech_remove),
        }
    return found
