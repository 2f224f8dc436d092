"""The HTTP errors: one subclass per kind of status, and readable messages."""

from __future__ import annotations

import pytest

import icasdk
from icasdk import exceptions


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, exceptions.BadRequestException),
        (401, exceptions.UnauthorizedException),
        (403, exceptions.ForbiddenException),
        (404, exceptions.NotFoundException),
        (409, exceptions.ConflictException),
        (429, exceptions.TooManyRequestsException),
        (500, exceptions.ServiceException),
        (503, exceptions.ServiceException),
        (599, exceptions.ServiceException),
        (418, exceptions.ApiException),
        (302, exceptions.ApiException),
    ],
)
def test_each_status_maps_to_its_exception(status, cls):
    """A status gets its own subclass, and ApiException when it has none."""
    assert exceptions.exception_class_for(status) is cls
    assert issubclass(cls, exceptions.ApiException)


def test_message_shows_status_title_detail_and_parameters():
    """str() reads: status, reason, the Problem's title, detail and parameters."""
    problem = {
        "title": "Validation failed",
        "detail": "dataIds may not be empty",
        "parameters": {"dataUpdateGroups[0].dataIds": "must not be empty"},
    }
    error = exceptions.BadRequestException(400, "Bad Request", problem=problem)

    assert str(error) == (
        "HTTP 400 Bad Request: Validation failed: dataIds may not be empty "
        "(dataUpdateGroups[0].dataIds='must not be empty')"
    )


def test_message_leaves_out_a_title_that_repeats_the_reason():
    """A Problem titled like the reason phrase does not say it twice."""
    error = exceptions.NotFoundException(
        404, "Not Found", problem={"title": "Not Found", "detail": "no such batch"}
    )

    assert str(error) == "HTTP 404 Not Found: no such batch"


def test_message_for_a_body_that_is_not_a_problem_is_short():
    """An HTML page from a proxy is shown squeezed and cut, not whole."""
    page = b"<html>\n<body>" + b"x" * 1000 + b"</body></html>"
    error = exceptions.ServiceException(502, "Bad Gateway", body=page)

    text = str(error)
    assert text.startswith("HTTP 502 Bad Gateway: body '<html> <body>xxx")
    assert len(text) < exceptions.MAX_SHOWN_BODY + 60


def test_message_for_an_empty_body_says_so():
    """An error with no body says it was empty."""
    error = exceptions.ServiceException(503, "Service Unavailable", body=b"")

    assert str(error) == "HTTP 503 Service Unavailable: empty body"


def test_hint_is_added_on_its_own_line():
    """A hint from the client follows the message on a new line."""
    error = exceptions.UnauthorizedException(
        401, "Unauthorized", body=b"", hint="Set a key."
    )

    assert str(error) == "HTTP 401 Unauthorized: empty body\nSet a key."


def test_unreadable_2xx_is_a_response_error_not_a_refusal(server, make_client):
    """Invalid JSON on a 201 raises ResponseError: the create was processed."""
    from canned_server import Reply

    from icasdk.apis.tags.project_data_update_batch_api import ProjectDataUpdateBatchApi

    server.reply(Reply(201, b"{not json"))
    api = ProjectDataUpdateBatchApi(make_client())

    with pytest.raises(icasdk.ResponseError) as caught:
        api.create_project_data_update_batch(
            path_params={"projectId": "p"},
            body={"dataUpdateGroups": [{"dataIds": ["a"]}]},
        )

    assert isinstance(caught.value, icasdk.ApiValueError)
    assert caught.value.response.data == b"{not json"
