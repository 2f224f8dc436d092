"""Every error icasdk raises, in one tree.

    OpenApiException                     base of all icasdk errors
    ├── ApiTypeError (TypeError)         a value of the wrong type for the schema
    │   └── ResponseTypeError            ... in a 2xx answer (also a ResponseError)
    ├── ApiValueError (ValueError)       a value of the right type but not allowed
    │   └── ResponseValueError           ... in a 2xx answer (also a ResponseError)
    ├── ResponseError                    a 2xx answer that could not be read: the
    │                                    request WAS processed; do not resend blindly
    ├── ApiException                     the server answered with a non-2xx status
    │   ├── BadRequestException          400
    │   ├── UnauthorizedException        401
    │   ├── ForbiddenException           403
    │   ├── NotFoundException            404
    │   ├── ConflictException            409
    │   ├── TooManyRequestsException     429
    │   └── ServiceException             500-599
    └── ApiConnectionError               no answer: connecting or reading failed
        └── ApiTimeoutError              no answer in time

Validation errors collect every problem found in one value; ``errors`` holds
them all and ``path_to_item`` points at the first. When the value is a 2xx
response that could not be decoded, or failed strict response validation,
the error also has ``response``: the urllib3 response with the raw body.

``exception_for_response`` is the one place that turns a non-2xx response
into the ``ApiException`` subclass for its status.
"""

from __future__ import annotations

import collections.abc
import typing

# How much of a rejected value a message shows before shortening it.
MAX_SHOWN_VALUE = 80


class OpenApiException(Exception):
    """Base class of every error raised by icasdk."""


def render_path(path: typing.Sequence[typing.Union[str, int]]) -> str:
    """``('dataUpdateGroups', 0, 'dataIds')`` -> ``['dataUpdateGroups'][0]['dataIds']``."""
    return "".join(f"[{step!r}]" for step in path) or "<root>"


def shorten(value: object, limit: int = MAX_SHOWN_VALUE) -> str:
    """The repr of ``value``, cut in the middle when it is longer than ``limit``."""
    text = repr(value)
    if len(text) <= limit:
        return text

    keep = (limit - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


class SchemaError(typing.NamedTuple):
    """One way a value failed its schema."""

    path: typing.Tuple[typing.Union[str, int], ...]
    message: str
    """What was expected and what was given, without the path."""
    is_type_error: bool

    def __str__(self) -> str:
        return f"{render_path(self.path)}: {self.message}"


class _ValidationError(OpenApiException):
    def __init__(
        self,
        errors: typing.Sequence[SchemaError],
        schema_name: str = "",
    ) -> None:
        self.errors = tuple(errors)
        self.schema_name = schema_name
        self.path_to_item = list(self.errors[0].path) if self.errors else []
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.schema_name} " if self.schema_name else ""
        if len(self.errors) == 1:
            return f"invalid {where}value at {self.errors[0]}"

        lines = [f"invalid {where}value, {len(self.errors)} problems:"]
        lines += [f"  {error}" for error in self.errors]
        return "\n".join(lines)


class ApiTypeError(_ValidationError, TypeError):
    """A value does not have the type its schema asks for."""


class ApiValueError(_ValidationError, ValueError):
    """A value has the right type but is not allowed by its schema."""


def validation_error(
    errors: typing.Sequence[SchemaError], schema_name: str = ""
) -> _ValidationError:
    """The error to raise for ``errors``: a type error if the first one is."""
    if errors[0].is_type_error:
        return ApiTypeError(errors, schema_name)
    return ApiValueError(errors, schema_name)


# --------------------------------------------------------------------------
# HTTP errors: the server answered, but not with a 2xx; or it did not answer.

# How much of a body that is not a Problem a message shows.
MAX_SHOWN_BODY = 200
# How much of each Problem field (title, detail, a parameter) a message shows.
MAX_SHOWN_FIELD = 500
REDACTED = "***"


def scrub(text: str, secrets: typing.Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


class ApiException(OpenApiException):
    """The server answered with a status that is not 2xx.

    ``body`` is the raw body (bytes), ``headers`` the response headers,
    ``problem`` the decoded RFC 7807 Problem (None when the body is not one:
    empty, truncated, or HTML from a proxy) and ``api_response`` the decoded
    response object, whose ``response`` is the urllib3 response.
    """

    def __init__(
        self,
        status: typing.Optional[int] = None,
        reason: typing.Optional[str] = None,
        api_response: typing.Any = None,
        *,
        body: typing.Optional[bytes] = None,
        headers: typing.Optional[typing.Mapping[str, str]] = None,
        problem: typing.Optional[typing.Mapping[str, typing.Any]] = None,
        hint: str = "",
        secrets: typing.Iterable[str] = (),
    ) -> None:
        raw = getattr(api_response, "response", None)
        self.status = status if status is not None else getattr(raw, "status", None)
        self.reason = reason if reason is not None else getattr(raw, "reason", None)
        self.api_response = api_response
        self.body = body if body is not None else getattr(raw, "data", None)
        self.headers = headers if headers is not None else getattr(raw, "headers", None)
        self.problem = problem
        self.hint = hint
        """What the caller can do about it, when the client knows (e.g. on a 401)."""
        # A server may echo the request back (a proxy's error page, a Problem
        # detail): no credential the client holds may show in the message.
        super().__init__(scrub(self._message(), secrets))

    def _message(self) -> str:
        head = " ".join(str(part) for part in (self.status, self.reason) if part)
        head = f"HTTP {head}" if head else "HTTP error"
        problem = self.problem
        if problem is not None:
            text = _describe_problem(problem, self.reason)
        else:
            text = _describe_body(self.body)
        message = f"{head}: {text}" if text else head
        return f"{message}\n{self.hint}" if self.hint else message

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class BadRequestException(ApiException):
    """400: the request was malformed or failed the server's validation."""


class UnauthorizedException(ApiException):
    """401: no credential, or one that is wrong or expired."""


class ForbiddenException(ApiException):
    """403: the credential is valid but may not do this."""


class NotFoundException(ApiException):
    """404: the project, batch or item does not exist (or is not visible)."""


class ConflictException(ApiException):
    """409: the request conflicts with the resource's current state."""


class TooManyRequestsException(ApiException):
    """429: rate limited, and still so after the client's retries."""


class ServiceException(ApiException):
    """5xx: the service failed, and still did after the client's retries."""


_EXCEPTION_BY_STATUS: typing.Dict[int, typing.Type[ApiException]] = {
    400: BadRequestException,
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: ConflictException,
    429: TooManyRequestsException,
}


def exception_class_for(status: int) -> typing.Type[ApiException]:
    """The ``ApiException`` subclass for a status; ``ApiException`` itself if none."""
    if 500 <= status <= 599:
        return ServiceException
    return _EXCEPTION_BY_STATUS.get(status, ApiException)


def exception_for_response(
    api_response: typing.Any,
    problem: typing.Optional[typing.Mapping[str, typing.Any]] = None,
    hint: str = "",
    secrets: typing.Iterable[str] = (),
) -> ApiException:
    """The exception to raise for a non-2xx ``api_response`` (an ``ApiResponse``).

    ``secrets`` are the client's credentials, kept out of the message.
    """
    raw = api_response.response
    cls = exception_class_for(raw.status)
    return cls(api_response=api_response, problem=problem, hint=hint, secrets=secrets)


def _describe_problem(
    problem: typing.Mapping[str, typing.Any], reason: typing.Optional[str]
) -> str:
    """``title: detail (name='value', ...)`` from a Problem's fields.

    The title is left out when it only repeats the HTTP reason phrase.
    """
    title = problem.get("title")
    if title and reason and str(title).strip().lower() == reason.strip().lower():
        title = None
    detail = problem.get("detail")
    parts = (_field_text(part) for part in (title, detail) if part)
    text = ": ".join(parts)
    parameters = problem.get("parameters")
    if isinstance(parameters, collections.abc.Mapping) and parameters:
        shown = ", ".join(
            f"{_field_text(key)}={shorten(value, MAX_SHOWN_FIELD)}"
            for key, value in list(parameters.items())[:20]
        )
        if len(parameters) > 20:
            shown += f", and {len(parameters) - 20} more"
        text = f"{text} ({shown})" if text else shown
    return text


def _field_text(value: typing.Any) -> str:
    """A Problem field as text, cut in the middle when it is very long."""
    text = str(value)
    if len(text) <= MAX_SHOWN_FIELD:
        return text
    keep = (MAX_SHOWN_FIELD - 5) // 2
    return f"{text[:keep]} ... {text[-keep:]}"


def _describe_body(body: typing.Optional[bytes]) -> str:
    """A shortened view of a body that is not a Problem, for the message."""
    if not body:
        return "empty body"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = " ".join(text.split())
    return f"body {shorten(text, MAX_SHOWN_BODY)}"


class ApiConnectionError(OpenApiException):
    """No answer came: the connection failed, broke or timed out (after retries).

    The urllib3 error is chained as ``__cause__``; ``attempts`` is how many
    times the request was tried.
    """

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class ApiTimeoutError(ApiConnectionError):
    """No answer came in time: connecting or reading timed out (after retries)."""


class ResponseError(OpenApiException):
    """A 2xx answer that could not be read, or failed strict validation.

    Unlike a validation error raised before sending, the server has processed
    the request (a create may have created its batch). ``response`` is the
    urllib3 response with the raw body.
    """

    response: typing.Any = None


class ResponseTypeError(ResponseError, ApiTypeError):
    """A 2xx answer holding a value of the wrong type (see ``ResponseError``)."""


class ResponseValueError(ResponseError, ApiValueError):
    """A 2xx answer that is unreadable or holds a bad value (see ``ResponseError``)."""


def response_error(
    errors: typing.Sequence[SchemaError], response: typing.Any, schema_name: str = ""
) -> _ValidationError:
    """The ``ResponseError`` for a 2xx response, with the urllib3 ``response`` attached.

    Raised for a body that cannot be decoded, and for mismatches when response
    validation is strict. ``response.data`` holds the raw body.
    """
    cls = ResponseTypeError if errors[0].is_type_error else ResponseValueError
    error = cls(errors, schema_name)
    error.response = response
    return error
