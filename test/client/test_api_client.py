"""ApiClient against a real HTTP server: requests, responses, errors, retries, logs."""

from __future__ import annotations

import datetime
import email.utils
import enum
import logging
import socket
import urllib.parse
import uuid

import pytest
import urllib3
from canned_server import (
    BATCH_ID,
    ITEM_ID,
    PROBLEM,
    PROJECT_ID,
    V3,
    Reply,
    batch_body,
    item_body,
    items_body,
    problem,
)
from hypothesis import given
from hypothesis import strategies as st

import icasdk
from icasdk import api_client, schemas
from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi
from icasdk.model.create_project_data_update_batch import CreateProjectDataUpdateBatch
from icasdk.model.data_update_group import DataUpdateGroup
from icasdk.model.tag_update import TagUpdate
from icasdk.paths.api_projects_project_id_data_update_batch.post import (
    OPERATION as CREATE,
)
from icasdk.retries import RetryPolicy

KEY = "test-key-123"
BATCH_PATH = {"projectId": PROJECT_ID, "batchId": BATCH_ID}
GROUPS = {"dataUpdateGroups": [{"dataIds": ["fil.1"], "userTags": {"addTags": ["a"]}}]}


@pytest.fixture
def api(make_client):
    """The generated API on a client for the canned server."""
    return ProjectDataUpdateBatchApi(make_client())


def _create(api, **kwargs):
    kwargs.setdefault("path_params", {"projectId": PROJECT_ID})
    kwargs.setdefault("body", GROUPS)
    return api.create_project_data_update_batch(**kwargs)


def _get_batch(api, **kwargs):
    kwargs.setdefault("path_params", BATCH_PATH)
    return api.get_project_data_update_batch(**kwargs)


def _get_items(api, **kwargs):
    kwargs.setdefault("path_params", BATCH_PATH)
    return api.get_project_data_update_batch_items(**kwargs)


# -- requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    "project_id, sent",
    [
        ("a/../b", "a%2F..%2Fb"),
        ("x?y#z", "x%3Fy%23z"),
        ("..", "%2E%2E"),
        ("with space&more", "with%20space%26more"),
    ],
)
def test_path_values_stay_one_segment(server, api, project_id, sent):
    """projectId is percent-encoded with nothing safe, so it cannot change the path."""
    server.reply(Reply(201, batch_body()))
    _create(api, path_params={"projectId": project_id})

    assert server.last.path == f"/ica/rest/api/projects/{sent}/dataUpdateBatch"


@given(text=st.text(st.characters(blacklist_categories=["Cs"]), min_size=1))
def test_a_path_value_is_encoded_as_quote_would(text):
    """Text left as it is (unreserved only) comes out as percent-encoding gives it."""
    param = CREATE.parameters_in("path")["projectId"]

    path = api_client._render_path(CREATE, [(param, text)])

    segment = urllib.parse.quote(text, safe="")
    if segment in (".", ".."):
        segment = segment.replace(".", "%2E")
    assert path == f"/api/projects/{segment}/dataUpdateBatch"


@pytest.mark.parametrize("name", ["batchId", "itemId"])
def test_ids_are_checked_as_uuids_before_sending(server, api, name):
    """A batchId or itemId that is not a UUID raises, naming it; nothing is sent."""
    path_params = {"projectId": PROJECT_ID, "batchId": BATCH_ID, "itemId": ITEM_ID}
    path_params[name] = "not-a-uuid"

    with pytest.raises(icasdk.ApiValueError) as caught:
        api.get_project_data_update_batch_item(path_params=path_params)

    assert caught.value.path_to_item == ["path_params", name]
    assert "expected a UUID string, got 'not-a-uuid'" in str(caught.value)
    assert server.requests == []


def test_an_id_faking_its_class_is_checked_and_not_sent(server, api):
    """Text claiming to be a plain str equal to a valid id is checked as what it is."""

    class Impostor(str):
        @property
        def __class__(self):
            return str

        def __eq__(self, other: object) -> bool:
            return other == BATCH_ID

        def __hash__(self) -> int:
            return hash(BATCH_ID)

    schemas.FORMAT_CHECKS["uuid"](BATCH_ID)  # remembered as valid
    path_params = {"projectId": PROJECT_ID, "batchId": Impostor("not-a-uuid")}

    with pytest.raises(icasdk.ApiValueError, match="expected a UUID string"):
        api.get_project_data_update_batch(path_params=path_params)

    assert server.requests == []


def test_a_str_enum_member_is_sent_as_its_text(server, api):
    """A (str, Enum) member is sent as its value, not as its name."""

    class Project(str, enum.Enum):
        MAIN = "main-project"

    server.reply(Reply(201, batch_body()))
    _create(api, path_params={"projectId": Project.MAIN})

    assert server.last.path == "/ica/rest/api/projects/main-project/dataUpdateBatch"


@pytest.mark.parametrize("content_type", [["application/json"], b"application/json", 5])
def test_a_content_type_that_is_not_text_is_refused_and_not_sent(
    server, api, content_type
):
    with pytest.raises(icasdk.ApiTypeError, match="expected content_type as a string"):
        _create(api, content_type=content_type)

    assert server.requests == []


def test_uuid_objects_are_accepted_for_ids(server, api):
    """A uuid.UUID works wherever a UUID string does."""
    server.reply(Reply(200, item_body()))
    api.get_project_data_update_batch_item(
        path_params={
            "projectId": PROJECT_ID,
            "batchId": uuid.UUID(BATCH_ID),
            "itemId": uuid.UUID(ITEM_ID),
        }
    )

    assert server.last.path.endswith(f"/{BATCH_ID}/items/{ITEM_ID}")


def test_status_filter_is_sent_as_repeated_pairs(server, api):
    """query_params['status'] becomes status=A&status=B."""
    server.reply(Reply(200, items_body()))
    _get_items(api, query_params={"status": ["UPDATED", "FAILED"]})

    assert server.last.query == [("status", "UPDATED"), ("status", "FAILED")]


@pytest.mark.parametrize("size, offset", [(50, 100), ("50", "100")])
def test_page_size_and_offset_accept_int_or_str(server, api, size, offset):
    """pageSize and pageOffset are strings in the definition; ints work too."""
    server.reply(Reply(200, items_body()))
    _get_items(api, query_params={"pageSize": size, "pageOffset": offset})

    assert server.last.query == [("pageOffset", "100"), ("pageSize", "50")]


def test_query_values_are_percent_encoded(server, api):
    """A sort expression with spaces and commas arrives intact."""
    server.reply(Reply(200, items_body()))
    _get_items(api, query_params={"sort": "dateCreated, lastName desc"})

    assert "sort=dateCreated%2C%20lastName%20desc" in server.last.target
    assert server.last.query == [("sort", "dateCreated, lastName desc")]


def test_bad_status_filter_value_is_refused(server, api):
    """A status that is not in the enum raises with its path; nothing is sent."""
    with pytest.raises(icasdk.ApiValueError) as caught:
        _get_items(api, query_params={"status": ["UPDATED", "DONE"]})

    assert caught.value.path_to_item == ["query_params", "status", 1]
    assert server.requests == []


@pytest.mark.parametrize(
    "kwargs, path, words",
    [
        (
            {"path_params": {**BATCH_PATH, "batchID": BATCH_ID}},
            ["path_params", "batchID"],
            "has no path parameter 'batchID'",
        ),
        (
            {"path_params": BATCH_PATH, "query_params": {"page_size": 5}},
            ["query_params", "page_size"],
            "has no query parameter 'page_size'",
        ),
        (
            {"path_params": {"projectId": PROJECT_ID}},
            ["path_params", "batchId"],
            "required path parameter 'batchId' is missing",
        ),
        ({}, ["path_params", "projectId"], "required path parameter 'projectId'"),
    ],
)
def test_unknown_or_missing_parameters_raise_before_sending(
    server, api, kwargs, path, words
):
    """An unknown key or a missing required one is named; nothing is sent."""
    with pytest.raises(icasdk.ApiTypeError) as caught:
        api.get_project_data_update_batch_items(**kwargs)

    assert caught.value.path_to_item == path
    assert words in str(caught.value)
    assert server.requests == []


def test_every_bad_parameter_is_reported_at_once(server, api):
    """Two problems in one call come back together in one error."""
    with pytest.raises(icasdk.OpenApiException) as caught:
        _get_items(
            api,
            path_params={"projectId": PROJECT_ID, "batchId": "nope"},
            query_params={"colour": "red"},
        )

    paths = [error.path for error in caught.value.errors]
    assert paths == [("path_params", "batchId"), ("query_params", "colour")]


def test_empty_path_value_is_refused(server, api):
    """An empty projectId would leave '//' in the path, so it is refused."""
    with pytest.raises(icasdk.ApiValueError, match="non-empty value"):
        _create(api, path_params={"projectId": ""})

    assert server.requests == []


def test_body_is_checked_before_sending(server, api):
    """A bad body raises with the path of the bad field; nothing is sent."""
    body = {"dataUpdateGroups": [{"dataIds": "fil.1"}]}

    with pytest.raises(icasdk.ApiTypeError) as caught:
        _create(api, body=body)

    assert caught.value.path_to_item == ["dataUpdateGroups", 0, "dataIds"]
    assert server.requests == []


def test_model_body_is_sent_as_json(server, api):
    """A model built with snake_case keywords is sent with the definition's names."""
    server.reply(Reply(201, batch_body()))
    body = CreateProjectDataUpdateBatch(
        data_update_groups=[
            DataUpdateGroup(data_ids=["fil.1"], user_tags=TagUpdate(add_tags=["a"]))
        ]
    )
    _create(api, body=body)

    assert server.last.body == (
        b'{"dataUpdateGroups":[{"dataIds":["fil.1"],"userTags":{"addTags":["a"]}}]}'
    )


def test_default_content_type_is_illumina_v3(server, api):
    """The body goes as application/vnd.illumina.v3+json unless told otherwise."""
    server.reply(Reply(201, batch_body()))
    _create(api)

    assert server.last.header("Content-Type") == V3


def test_application_json_content_type_is_allowed(server, api):
    """content_type='application/json' is declared, so it is sent as asked."""
    server.reply(Reply(201, batch_body()))
    _create(api, content_type="application/json")

    assert server.last.header("Content-Type") == "application/json"


def test_undeclared_content_type_is_a_clear_error(server, api):
    """Any other content type raises before sending and lists the allowed ones."""
    with pytest.raises(icasdk.ApiValueError) as caught:
        _create(api, content_type="text/plain")

    message = str(caught.value)
    assert "does not accept a 'text/plain' body" in message
    assert "'application/vnd.illumina.v3+json', 'application/json'" in message
    assert server.requests == []


def test_accept_defaults_to_the_declared_types(server, api):
    """Accept lists what the seed page documents: problem+json, then v3+json."""
    server.reply(Reply(200, batch_body()))
    _get_batch(api)

    assert server.last.header("Accept") == f"{PROBLEM}, {V3}"


@pytest.mark.parametrize("accept", [(V3,), V3], ids=["tuple", "str"])
def test_accept_can_be_chosen_per_call(server, api, accept):
    """accept_content_types replaces the Accept header (a tuple, or one str)."""
    server.reply(Reply(200, batch_body()))
    _get_batch(api, accept_content_types=accept)

    assert server.last.header("Accept") == V3


def test_gzip_and_user_agent_are_always_sent(server, api):
    """Every request asks for gzip and names icasdk and its version."""
    server.reply(Reply(200, batch_body()))
    _get_batch(api)

    assert server.last.header("Accept-Encoding") == "gzip"
    assert server.last.header("User-Agent").startswith(
        f"icasdk/{icasdk.__version__} python/"
    )


def test_api_key_is_sent_with_its_prefix(server, make_client):
    """X-API-Key carries the key, after api_key_prefix when one is set."""
    server.reply(Reply(200, batch_body()))
    client = make_client(
        api_key={"ApiKeyAuth": KEY}, api_key_prefix={"ApiKeyAuth": "Key"}
    )
    _get_batch(ProjectDataUpdateBatchApi(client))

    assert server.last.header("X-API-Key") == f"Key {KEY}"
    assert server.last.header("Authorization") is None


def test_access_token_is_sent_as_bearer(server, make_client):
    """Configuration(access_token=...) sends Authorization: Bearer."""
    server.reply(Reply(200, batch_body()))
    client = make_client(api_key=None, access_token="jwt-abc")
    _get_batch(ProjectDataUpdateBatchApi(client))

    assert server.last.header("Authorization") == "Bearer jwt-abc"
    assert server.last.header("X-API-Key") is None


def test_default_headers_are_sent(server, make_client):
    """set_default_header adds a header to every request."""
    server.reply(Reply(200, batch_body()))
    client = make_client()
    client.set_default_header("X-Trace", "t-1")
    _get_batch(ProjectDataUpdateBatchApi(client))

    assert server.last.header("X-Trace") == "t-1"


# -- responses ----------------------------------------------------------------


def test_response_has_model_body_status_and_raw_response(server, api):
    """A 2xx gives the declared response class with a model body."""
    server.reply(Reply(201, batch_body()))
    response = _create(api)

    assert response.status == 201
    assert response.body["job"]["status"] == "INITIALIZED"
    assert response.body.job.time_created == datetime.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc
    )
    assert response.headers is schemas.unset
    assert response.response.status == 201
    assert type(response).__name__ == "ApiResponseFor201"


def test_content_type_parameters_are_ignored(server, api):
    """A charset after the content type does not stop decoding."""
    server.reply(Reply(200, batch_body(), content_type=f"{V3}; charset=UTF-8"))

    assert _get_batch(api).body.id == uuid.UUID(BATCH_ID)


@pytest.mark.parametrize(
    "media, expected",
    [
        ("application/json", True),
        ("application/vnd.illumina.v4+json", True),
        ("application/problem+json", True),
        ("text/html", False),
        ("application/octet-stream", False),
    ],
)
def test_any_plus_json_type_is_json(media, expected):
    """application/json and every +json type are decoded as JSON."""
    assert (
        api_client.is_json(api_client.media_type(f"{media};charset=utf-8")) is expected
    )


def test_gzipped_response_is_decoded(server, api):
    """A gzip-encoded answer is decompressed before decoding."""
    server.reply(Reply(200, batch_body(), gzip=True))

    assert _get_batch(api).body.id == uuid.UUID(BATCH_ID)
    assert server.last.header("Accept-Encoding") == "gzip"


def test_undeclared_response_type_raises_with_raw_response(server, api):
    """A 2xx of a type the operation does not declare raises, keeping the response."""
    server.reply(Reply(200, "<html>hello</html>", content_type="text/html"))

    with pytest.raises(icasdk.ApiTypeError) as caught:
        _get_batch(api)

    assert "got 'text/html'" in str(caught.value)
    assert caught.value.response.data == b"<html>hello</html>"


def test_2xx_body_that_is_not_json_raises_with_raw_response(server, api):
    """A declared JSON type whose body does not parse raises, keeping the response."""
    server.reply(Reply(200, b'{"id": "trunc', content_type=V3))

    with pytest.raises(icasdk.ApiValueError) as caught:
        _get_batch(api)

    assert "expected a JSON document" in str(caught.value)
    assert caught.value.response.status == 200
    assert caught.value.response.data == b'{"id": "trunc'


def test_skip_deserialization_returns_the_raw_response(server, api):
    """skip_deserialization=True leaves body and headers unset and the bytes raw."""
    server.reply(Reply(200, b"not even json"))
    response = _get_batch(api, skip_deserialization=True)

    assert isinstance(response, api_client.ApiResponseWithoutDeserialization)
    assert response.body is schemas.unset
    assert response.headers is schemas.unset
    assert response.response.data == b"not even json"


def test_stream_leaves_the_body_unread(server, api):
    """stream=True returns before reading the body; the caller reads it."""
    server.reply(Reply(200, batch_body()))
    response = _get_batch(api, stream=True)

    assert response.body is schemas.unset
    raw = response.response.read()
    assert raw.startswith(b'{"id": "' + BATCH_ID.encode())
    response.response.release_conn()


# -- response validation ------------------------------------------------------


def test_new_fields_enums_and_nulls_never_fail_a_call(server, api, caplog):
    """Extra fields, unknown enum values and null where nullable are kept."""
    body = batch_body(status="PAUSED")
    body["job"]["timeFinished"] = None
    body["job"]["newField"] = {"nested": [1, 2]}
    body["shinyNewThing"] = True
    server.reply(Reply(200, body))

    with caplog.at_level(logging.WARNING, logger="icasdk"):
        response = _get_batch(api)

    assert response.body["job"]["status"] == "PAUSED"
    assert response.body.job.time_finished is None
    assert response.body["shinyNewThing"] is True
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "['job']['status']" in warnings[0]
    assert "got 'PAUSED'" in warnings[0]


def test_repeated_mismatch_is_logged_once_with_a_count(server, api, caplog):
    """The same unknown enum on 1,000 items is one line with its count, once."""
    server.reply(Reply(200, items_body(*["ARCHIVED"] * 1000)))

    with caplog.at_level(logging.WARNING, logger="icasdk"):
        _get_items(api)
        _get_items(api)

    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "['items'][*]['processing']['status'] (1000 places" in message
    assert "first ['items'][0]['processing']['status']" in message


def test_strict_validation_raises_with_path_and_response(server, make_client):
    """response_validation='strict' raises on a mismatch, naming its path."""
    server.reply(Reply(200, batch_body(status="PAUSED")))
    api = ProjectDataUpdateBatchApi(make_client(response_validation="strict"))

    with pytest.raises(icasdk.ApiValueError) as caught:
        _get_batch(api)

    assert caught.value.path_to_item == ["job", "status"]
    assert str(caught.value).startswith(
        "invalid ProjectDataUpdateBatch value at ['job']['status']: "
    )
    assert caught.value.response.status == 200
    assert b"PAUSED" in caught.value.response.data


def test_strict_validation_raises_type_errors_too(server, make_client):
    """A field of the wrong type under strict validation is an ApiTypeError."""
    body = batch_body()
    body["job"]["subjectType"] = 7
    server.reply(Reply(200, body))
    api = ProjectDataUpdateBatchApi(make_client(response_validation="strict"))

    with pytest.raises(icasdk.ApiTypeError) as caught:
        _get_batch(api)

    assert caught.value.path_to_item == ["job", "subjectType"]


def test_validation_off_reports_nothing_and_keeps_data(server, make_client, caplog):
    """response_validation='off' neither logs nor raises."""
    server.reply(Reply(200, batch_body(status="PAUSED")))
    api = ProjectDataUpdateBatchApi(make_client(response_validation="off"))

    with caplog.at_level(logging.DEBUG, logger="icasdk"):
        response = _get_batch(api)

    assert response.body.job.status == "PAUSED"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, icasdk.BadRequestException),
        (401, icasdk.UnauthorizedException),
        (403, icasdk.ForbiddenException),
        (404, icasdk.NotFoundException),
        (409, icasdk.ConflictException),
        (429, icasdk.TooManyRequestsException),
        (500, icasdk.ServiceException),
        (503, icasdk.ServiceException),
    ],
)
def test_non_2xx_raises_the_subclass_for_its_status(server, make_client, status, cls):
    """Every non-2xx raises ApiException, as the subclass for its kind of status."""
    server.reply(problem(status, "Some title", "Some detail", dataId="fil.1"))
    api = ProjectDataUpdateBatchApi(make_client(retries=0))

    with pytest.raises(cls) as caught:
        _get_batch(api)

    error = caught.value
    assert isinstance(error, icasdk.ApiException)
    assert error.status == status
    assert error.reason
    assert b"Some detail" in error.body
    assert error.headers["Content-Type"] == PROBLEM
    assert error.problem["detail"] == "Some detail"
    assert error.problem.title == "Some title"
    assert error.api_response.body is error.problem
    assert error.api_response.response.status == status


def test_error_message_shows_title_detail_and_parameters(server, api):
    """str() of an ApiException reads like the Problem."""
    server.reply(
        problem(400, "Invalid request", "dataIds must not be empty", field="dataIds")
    )

    with pytest.raises(icasdk.BadRequestException) as caught:
        _create(api)

    assert str(caught.value) == (
        "HTTP 400 Bad Request: Invalid request: dataIds must not be empty "
        "(field='dataIds')"
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(502, "<html><body>Bad gateway</body></html>", content_type="text/html"),
        Reply(500, None, content_type=None),
        Reply(500, b'{"title": "Inter', content_type=PROBLEM),
        Reply(500, {"error": "not a problem"}, content_type="application/json"),
    ],
    ids=["html", "empty", "truncated", "other-json"],
)
def test_problem_is_none_when_the_body_is_not_one(server, make_client, reply):
    """HTML from a proxy, an empty or truncated body: no Problem, still an error."""
    server.reply(reply)
    api = ProjectDataUpdateBatchApi(make_client(retries=0))

    with pytest.raises(icasdk.ServiceException) as caught:
        _get_batch(api)

    assert caught.value.problem is None
    assert caught.value.api_response.body is schemas.unset
    assert str(caught.value).startswith(f"HTTP {reply.status} ")


def test_401_without_credentials_says_how_to_set_one(server, make_client):
    """With no credential the call is made; its 401 explains how to configure one."""
    server.reply(problem(401, "Unauthorized", "No credentials"))
    api = ProjectDataUpdateBatchApi(make_client(api_key=None))

    with pytest.raises(icasdk.UnauthorizedException) as caught:
        _get_batch(api)

    assert server.last.header("X-API-Key") is None
    assert server.last.header("Authorization") is None
    message = str(caught.value)
    assert "No credential was configured" in message
    assert "api_key={'ApiKeyAuth'" in message
    assert "access_token=" in message


def test_401_with_a_credential_never_shows_it(server, make_client):
    """A refused key is not repeated in the error, the client repr or its config."""
    server.reply(problem(401, "Unauthorized", "Invalid API key"))
    client = make_client()

    with pytest.raises(icasdk.UnauthorizedException) as caught:
        _get_batch(ProjectDataUpdateBatchApi(client))

    assert server.last.header("X-API-Key") == KEY
    assert "refused" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(client)):
        assert KEY not in text
    assert KEY not in repr(client.configuration)


# -- retries ------------------------------------------------------------------


def test_get_is_retried_after_503_with_backoff(server, api, sleep, caplog):
    """A 503 on GET is retried after a backoff wait, with a warning first."""
    server.reply(Reply(503, b""), Reply(200, batch_body()))

    with caplog.at_level(logging.WARNING, logger="icasdk"):
        response = _get_batch(api)

    assert response.status == 200
    assert len(server.requests) == 2
    assert len(sleep.waits) == 1
    assert 0.25 <= sleep.waits[0] <= 0.5
    assert "GET /ica/rest/api/projects/project-1/dataUpdateBatch" in caplog.text
    assert "-> 503; retrying in" in caplog.text


def test_retries_stop_after_the_limit(server, api, sleep):
    """After the configured retries the last answer is raised."""
    server.reply(Reply(502, b"", content_type=None))

    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)

    assert len(server.requests) == 4
    assert len(sleep.waits) == 3
    assert sleep.waits[0] < sleep.waits[1] < sleep.waits[2]


def test_retry_count_and_backoff_are_settings(server, make_client):
    """Configuration(retries=..., retry_backoff_factor=...) drives the retries."""
    server.reply(Reply(504, b"", content_type=None))
    api = ProjectDataUpdateBatchApi(make_client(retries=1, retry_backoff_factor=0.001))

    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)

    assert len(server.requests) == 2


def test_retry_settings_changed_between_calls_apply_to_the_next(server, make_client):
    """The client keeps its retry policy only while the settings stay the same."""
    server.reply(Reply(503, b"", content_type=None))
    client = make_client(retries=0)
    api = ProjectDataUpdateBatchApi(client)
    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)
    assert len(server.requests) == 1

    client.configuration.retries = 2
    client.configuration.retry_backoff_factor = 0.001
    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)
    assert len(server.requests) == 1 + 3


def test_a_urllib3_retry_changed_in_place_applies_to_the_next_call(server, make_client):
    """A urllib3 Retry can be edited after it is set; the next call uses the edit."""
    server.reply(Reply(503, b"", content_type=None))
    retry = urllib3.Retry(total=0, backoff_factor=0)
    api = ProjectDataUpdateBatchApi(make_client(retries=retry))
    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)

    retry.total = 2
    with pytest.raises(icasdk.ServiceException):
        _get_batch(api)
    assert len(server.requests) == 1 + 3


def test_post_is_not_retried_on_503(server, api, sleep):
    """A POST that got a 503 may have been acted on: it is not sent again."""
    server.reply(Reply(503, b"", content_type=None), Reply(201, batch_body()))

    with pytest.raises(icasdk.ServiceException):
        _create(api)

    assert len(server.requests) == 1
    assert sleep.waits == []


def test_post_is_retried_on_429_honouring_retry_after(server, api, sleep):
    """A 429 means the server did nothing: a POST is retried after Retry-After."""
    server.reply(
        Reply(429, b"", content_type=None, headers={"Retry-After": "2"}),
        Reply(201, batch_body()),
    )

    assert _create(api).status == 201
    assert len(server.requests) == 2
    assert sleep.waits == [2.0]


def test_retry_after_as_http_date_is_honoured(server, api, sleep):
    """Retry-After given as an HTTP date waits until then."""
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=9)
    header = email.utils.format_datetime(later, usegmt=True)
    server.reply(
        Reply(503, b"", content_type=None, headers={"Retry-After": header}),
        Reply(200, batch_body()),
    )
    _get_batch(api)

    assert 5.0 <= sleep.waits[0] <= 9.0


def test_long_retry_after_is_capped(server, make_client, sleep):
    """A Retry-After of an hour waits only the policy's cap."""
    policy = RetryPolicy(sleep=sleep, retry_after_max=5.0)
    server.reply(
        Reply(429, b"", content_type=None, headers={"Retry-After": "3600"}),
        Reply(200, batch_body()),
    )
    _get_batch(ProjectDataUpdateBatchApi(make_client(retries=policy)))

    assert sleep.waits == [5.0]


def test_get_is_retried_when_the_connection_drops(server, api, sleep):
    """A connection closed before an answer is retried for GET."""
    server.reply(Reply(drop=True), Reply(200, batch_body()))

    assert _get_batch(api).status == 200
    assert len(server.requests) == 2


def test_post_is_not_retried_when_the_connection_drops(server, api, sleep):
    """A POST whose request may have arrived is never sent blindly again."""
    server.reply(Reply(drop=True), Reply(201, batch_body()))

    with pytest.raises(icasdk.ApiConnectionError) as caught:
        _create(api)

    assert len(server.requests) == 1
    assert caught.value.attempts == 1
    assert sleep.waits == []


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_post_is_retried_when_the_connection_was_refused(make_client, sleep):
    """A connection that never opened sent nothing, so even a POST is retried."""
    host = f"http://127.0.0.1:{_closed_port()}/ica/rest"
    api = ProjectDataUpdateBatchApi(make_client(host=host))

    with pytest.raises(icasdk.ApiConnectionError) as caught:
        _create(api)

    assert caught.value.attempts == 4
    assert len(sleep.waits) == 3
    assert "POST http://127.0.0.1:" in str(caught.value)
    assert "failed after 4 attempts" in str(caught.value)
    assert not isinstance(caught.value, icasdk.ApiTimeoutError)


# -- timeouts -----------------------------------------------------------------


def test_configured_timeout_applies_to_each_call(server, make_client):
    """A read slower than Configuration.timeout raises ApiTimeoutError."""
    server.reply(Reply(200, batch_body(), delay=0.5))
    api = ProjectDataUpdateBatchApi(make_client(timeout=0.1, retries=0))

    with pytest.raises(icasdk.ApiTimeoutError, match="timed out after 1 attempt"):
        _get_batch(api)


@pytest.mark.parametrize("timeout", [0.1, (1.0, 0.1)], ids=["number", "pair"])
def test_timeout_per_call_as_number_or_pair(server, make_client, timeout):
    """timeout= on a call overrides the setting, as seconds or (connect, read)."""
    server.reply(Reply(200, batch_body(), delay=0.5))
    api = ProjectDataUpdateBatchApi(make_client(retries=0))

    with pytest.raises(icasdk.ApiTimeoutError):
        _get_batch(api, timeout=timeout)


def test_timeout_changed_between_calls_applies_to_the_next(server, make_client):
    """A new timeout setting, or a list changed in place, is used by the next call."""
    server.reply(Reply(200, batch_body(), delay=0.3))
    pair = [5.0, 5.0]
    client = make_client(retries=0, timeout=pair)
    api = ProjectDataUpdateBatchApi(client)
    assert _get_batch(api).status == 200

    pair[1] = 0.05
    with pytest.raises(icasdk.ApiTimeoutError):
        _get_batch(api)

    client.configuration.timeout = 5.0
    assert _get_batch(api).status == 200
    client.configuration.timeout = 0.05
    with pytest.raises(icasdk.ApiTimeoutError):
        _get_batch(api)


def test_bad_timeout_is_refused(server, api):
    """A timeout that is not seconds or a pair says what it expected."""
    with pytest.raises(ValueError, match=r"\(connect, read\) pair, got \(1, 2, 3\)"):
        _get_batch(api, timeout=(1, 2, 3))


# -- logging ------------------------------------------------------------------


def test_one_debug_line_per_attempt(server, api, caplog):
    """Each attempt logs method, path, status, attempt number and milliseconds."""
    server.reply(Reply(503, b"", content_type=None), Reply(200, batch_body()))

    with caplog.at_level(logging.DEBUG, logger="icasdk"):
        _get_batch(api)

    attempts = [
        r.getMessage()
        for r in caplog.records
        if r.name == "icasdk.api_client" and r.levelno == logging.DEBUG
    ]
    path = f"/ica/rest/api/projects/{PROJECT_ID}/dataUpdateBatch/{BATCH_ID}"
    assert len(attempts) == 2
    assert attempts[0].startswith(f"GET {path} -> 503 (attempt 1, ")
    assert attempts[1].startswith(f"GET {path} -> 200 (attempt 2, ")
    assert attempts[1].endswith(" ms)")


def test_no_log_line_contains_a_credential(server, make_client, caplog):
    """At DEBUG, across retries and errors, neither key nor token is logged."""
    server.reply(Reply(503, b""), problem(401, "Unauthorized", "bad key"))
    for settings in ({}, {"api_key": None, "access_token": "jwt-secret-456"}):
        api = ProjectDataUpdateBatchApi(make_client(**settings))
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(icasdk.UnauthorizedException):
                _get_batch(api)

    assert caplog.records
    assert KEY not in caplog.text
    assert "jwt-secret-456" not in caplog.text


# -- the Api base class -------------------------------------------------------


def test_api_without_a_client_makes_a_default_one():
    """Api() builds an ApiClient from the default configuration."""
    api = ProjectDataUpdateBatchApi()

    assert isinstance(api.api_client, icasdk.ApiClient)
    assert api.api_client.configuration.host == "https://ica.illumina.com/ica/rest"
    api.api_client.close()


def test_undeclared_success_status_is_read_like_the_declared_one(server, api):
    """A 200 where 201 is declared still decodes: new statuses never crash a call."""
    server.reply(Reply(200, batch_body()))
    response = _create(api)

    assert type(response) is api_client.ApiResponse
    assert response.status == 200
    assert response.body.id == uuid.UUID(BATCH_ID)


def test_api_key_under_an_unknown_name_is_named_in_the_401(server, make_client):
    """A key set under 'X-API-Key' is not sent, and the 401 says which name to use."""
    server.reply(problem(401, "Unauthorized", "no credential"))
    client = make_client(api_key={"X-API-Key": KEY})

    with pytest.raises(icasdk.UnauthorizedException) as caught:
        ProjectDataUpdateBatchApi(client).get_project_data_update_batch(
            path_params=BATCH_PATH
        )

    assert server.last.header("X-API-Key") is None
    assert "'X-API-Key' are no security scheme" in str(caught.value)
    assert KEY not in str(caught.value)


def test_uuid_object_is_accepted_for_a_project_id(server, api):
    """A project id given as uuid.UUID (as job.project.id gives it) is sent as text."""
    server.reply(Reply(200, batch_body()))
    project = uuid.UUID("3fa85f64-5717-4562-b3fc-2c963f66afa6")

    api.get_project_data_update_batch(
        path_params={"projectId": project, "batchId": BATCH_ID}
    )

    assert str(project) in server.last.path
