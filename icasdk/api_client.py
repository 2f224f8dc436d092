"""ApiClient: turns a declared operation and the caller's values into an HTTP call.

A call goes through named layers, each handling one concern:

- ``call_operation`` checks the caller's values against the ``Operation``
  and builds the request (``_build_request``): path, query, headers, body;
- ``_send_handling_retries`` sends it, retrying as the ``RetryPolicy`` allows;
- ``Transport.send`` (``icasdk.transport``) makes one attempt over urllib3;
- ``_read_response`` turns the answer into an ``ApiResponse``, or raises the
  ``ApiException`` for its status.

The generated API classes (``icasdk.apis``) subclass ``Api`` and call
``call_operation`` with their ``OPERATION``; nothing here is specific to one
operation.
"""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import functools
import json
import logging
import re
import sys
import threading
import time
import typing
import urllib.parse
import warnings

import urllib3
from urllib3 import exceptions as urllib3_errors

from icasdk import __version__, exceptions, schemas
from icasdk.configuration import Configuration, redact_url
from icasdk.exceptions import SchemaError, render_path, shorten
from icasdk.operations import HEADER, PATH, QUERY, Operation, Parameter, Response
from icasdk.retries import RetryPolicy
from icasdk.transport import Request, Transport, urllib3_timeout

log = logging.getLogger(__name__)

USER_AGENT = "icasdk/{} python/{}.{}.{}".format(__version__, *sys.version_info[:3])
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
PROBLEM_MEMBERS = frozenset({"type", "title", "status", "detail"})
"""A JSON error body with any of these RFC 7807 members is read as a Problem."""
MAX_REMEMBERED_MISMATCHES = 1000
"""Distinct response mismatches a client remembers, to log each one only once."""

_Params = typing.Optional[typing.Mapping[str, typing.Any]]


# --------------------------------------------------------------------------
# Responses


@dataclasses.dataclass
class ApiResponse:
    """A decoded 2xx answer.

    ``response`` is the urllib3 response; ``body`` the decoded body (a model
    for JSON bodies) and ``headers`` the declared response headers, each
    ``schemas.unset`` when the operation declares none (or the body was
    left unread with ``stream=True``).
    """

    response: urllib3.HTTPResponse
    body: typing.Any = schemas.unset
    headers: typing.Any = schemas.unset

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self.response.status


@dataclasses.dataclass
class ApiResponseWithoutDeserialization(ApiResponse):
    """The answer to a call made with ``skip_deserialization=True``.

    ``body`` and ``headers`` are ``unset``; ``response.data`` holds the raw
    body (unless ``stream=True`` left it unread).
    """


@functools.lru_cache(maxsize=64)
def media_type(content_type: typing.Optional[str]) -> str:
    """``'Application/JSON; charset=utf-8'`` -> ``'application/json'``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """True for ``application/json`` and every ``+json`` type."""
    return media == JSON or media.endswith("+json")


def _declared_schema(
    content: typing.Mapping[str, schemas.Schema], media: str
) -> typing.Optional[schemas.Schema]:
    """The schema ``content`` declares for ``media`` (compared without parameters)."""
    for declared, schema in content.items():
        if media_type(declared) == media:
            return schema
    return None


# --------------------------------------------------------------------------
# The client


_NOTHING = object()
"""A setting no configuration holds: what nothing was made from yet."""


class InsecureCredentialsWarning(UserWarning):
    """Credentials are about to be sent unencrypted to a host off this machine."""


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    import ipaddress  # only for plain-HTTP hosts; it is slow to import

    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


class ApiClient:
    """Calls operations over one thread-safe urllib3 pool; use it as a context manager.

    ``header_name``/``header_value`` and ``cookie`` add a header to every
    request, as ``set_default_header`` does.
    """

    def __init__(
        self,
        configuration: typing.Optional[Configuration] = None,
        header_name: typing.Optional[str] = None,
        header_value: typing.Optional[str] = None,
        cookie: typing.Optional[str] = None,
    ) -> None:
        if configuration is None:
            configuration = Configuration.get_default()
        self.configuration = configuration
        self.default_headers: typing.Dict[str, str] = {"User-Agent": USER_AGENT}
        if header_name is not None and header_value is not None:
            self.default_headers[header_name] = header_value
        self.cookie = cookie
        self._transport = Transport(configuration)
        self._mismatches = _MismatchLog()
        self._host_checked_for_http: typing.Optional[str] = None
        # What _urllib3_timeout and _retry_policy made last, from which settings.
        self._last_timeout: typing.Tuple[object, typing.Any] = (_NOTHING, None)
        self._last_retry_policy: typing.Tuple[tuple, typing.Any] = (
            (_NOTHING, _NOTHING),
            None,
        )

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pool's connections; the client opens new ones if used again."""
        self._transport.close()

    def __repr__(self) -> str:
        return f"ApiClient(host={redact_url(self.configuration.host)!r})"

    @property
    def user_agent(self) -> str:
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, name: str, value: str) -> None:
        """Send header ``name`` with every request."""
        self.default_headers[name] = value

    # -- the endpoint layer -------------------------------------------------

    def call_operation(
        self,
        operation: Operation,
        *,
        body: typing.Any = schemas.unset,
        path_params: _Params = None,
        query_params: _Params = None,
        header_params: _Params = None,
        content_type: typing.Optional[str] = None,
        accept_content_types: typing.Optional[typing.Sequence[str]] = None,
        stream: bool = False,
        timeout: typing.Any = None,
        skip_deserialization: bool = False,
    ) -> ApiResponse:
        """Check the values, send the request and decode the answer.

        Raises ``ApiTypeError``/``ApiValueError`` before sending when a value
        does not fit the operation, ``ApiException`` (a subclass per status)
        for a non-2xx answer and ``ApiConnectionError`` when no answer came.
        """
        request = self._build_request(
            operation,
            body=body,
            path_params=path_params,
            query_params=query_params,
            header_params=header_params,
            content_type=content_type,
            accept_content_types=accept_content_types,
        )
        if timeout is None:
            timeout = self.configuration.timeout

        response = self._send_handling_retries(
            request, timeout=self._urllib3_timeout(timeout), stream=stream
        )
        return self._read_response(
            operation,
            response,
            stream=stream,
            skip_deserialization=skip_deserialization,
        )

    # -- building the request -----------------------------------------------

    def _build_request(
        self,
        operation: Operation,
        *,
        body: typing.Any,
        path_params: _Params,
        query_params: _Params,
        header_params: _Params,
        content_type: typing.Optional[str],
        accept_content_types: typing.Optional[typing.Sequence[str]],
    ) -> Request:
        """The request for ``operation``; every bad value reported at once."""
        errors: typing.List[SchemaError] = []
        path = _render_path(
            operation, self._checked(operation, PATH, path_params, errors)
        )
        query = _render_query(self._checked(operation, QUERY, query_params, errors))
        header_values = self._checked(operation, HEADER, header_params, errors)
        payload, sent_type, body_error = None, None, None
        try:
            payload, sent_type = _render_body(operation, body, content_type)
        except (exceptions.ApiTypeError, exceptions.ApiValueError) as err:
            body_error = err
        if body_error is not None and not errors:
            raise body_error
        if body_error is not None:
            errors.extend(body_error.errors)
        if errors:
            raise exceptions.validation_error(errors)

        headers = dict(self.default_headers)
        if isinstance(accept_content_types, str):
            accept_content_types = (accept_content_types,)
        headers["Accept"] = ", ".join(
            accept_content_types or _accepted_types(operation)
        )
        headers["Accept-Encoding"] = "gzip"
        if sent_type is not None:
            headers["Content-Type"] = sent_type
        if self.cookie:
            headers["Cookie"] = self.cookie
        credentials = self.configuration.auth_headers(operation.security)
        headers.update(credentials)
        headers.update((p.name, _param_text(value)) for p, value in header_values)

        url = self.configuration.host + path + (f"?{query}" if query else "")
        if credentials and self.configuration.host != self._host_checked_for_http:
            self._warn_if_plain_http(self.configuration.host)
        return Request(operation.method.upper(), url, headers, payload)

    def _warn_if_plain_http(self, host: str) -> None:
        """Warn, once per host, when credentials would cross a network unencrypted.

        The host counts as checked only once the warning is out: where
        warnings are errors, every call to it raises, none goes out.
        """
        parts = urllib.parse.urlsplit(host)
        if parts.scheme != "http" or _is_loopback(parts.hostname or ""):
            self._host_checked_for_http = host
            return

        message = (
            f"sending credentials over plain HTTP to {parts.hostname!r}: anyone on "
            "the network can read them; use an https:// host"
        )
        log.warning(message)
        warnings.warn(InsecureCredentialsWarning(message), stacklevel=4)
        self._host_checked_for_http = host

    @staticmethod
    def _checked(
        operation: Operation,
        location: str,
        given: _Params,
        errors: typing.List[SchemaError],
    ) -> typing.List[typing.Tuple[Parameter, typing.Any]]:
        """The declared parameters of ``location`` with their checked values.

        Unknown names, missing required ones and bad values go to ``errors``,
        each with its path (``['path_params']['batchId']``).
        """
        declared = operation.parameters_in(location)
        if given is None:
            if not declared:
                return []
            given = {}
        label = f"{location}_params"
        if type(given) is not dict and not isinstance(given, collections.abc.Mapping):
            message = (
                f"expected a mapping of parameter names to values, got {shorten(given)}"
            )
            errors.append(SchemaError((label,), message, True))
            return []

        for name in given:
            if name not in declared:
                known = ", ".join(repr(n) for n in declared) or "none"
                message = (
                    f"{operation.operation_id} has no {location} parameter {name!r}; "
                    f"its {location} parameters: {known}"
                )
                errors.append(SchemaError((label, name), message, True))

        checked = []
        for name, param in declared.items():
            value = given.get(name)
            if value is None or value is schemas.unset:
                if param.required:
                    message = f"required {location} parameter {name!r} is missing"
                    errors.append(SchemaError((label, name), message, True))
                continue
            if type(value) is str and type(param.schema) is schemas.String:
                # Most values are text: the same check, without the dispatch.
                found = len(errors)
                param.schema.check_text(value, (label, name), errors, True)
                if len(errors) > found:
                    continue
            else:
                try:
                    value = schemas.to_request_value(
                        param.schema, _coerced(param, value), (label, name)
                    )
                except (exceptions.ApiTypeError, exceptions.ApiValueError) as err:
                    errors.extend(err.errors)
                    continue
            if location == PATH and _param_text(value) == "":
                message = "expected a non-empty value for a path parameter, got ''"
                errors.append(SchemaError((label, name), message, False))
                continue
            checked.append((param, value))
        return checked

    # -- settings read on every call ------------------------------------------

    def _urllib3_timeout(self, setting: typing.Any) -> urllib3.Timeout:
        """The urllib3 ``Timeout`` for a timeout setting.

        The last one made is kept: nearly every call has the configuration's
        own setting, the same object each time. A list may change in place,
        so it is converted afresh.
        """
        last_setting, last = self._last_timeout
        if setting is last_setting and not isinstance(setting, list):
            return last
        converted = urllib3_timeout(setting)
        self._last_timeout = (setting, converted)
        return converted

    def _retry_policy(self) -> RetryPolicy:
        """The configuration's retry policy; kept while its settings stay the same.

        A urllib3 ``Retry`` can be changed in place, so a policy made from
        one is made afresh on every call.
        """
        retries = self.configuration.retries
        factor = self.configuration.retry_backoff_factor
        (last_retries, last_factor), last = self._last_retry_policy
        if retries is last_retries and factor is last_factor:
            return last
        policy = RetryPolicy.from_setting(retries, factor)
        if not isinstance(retries, urllib3.Retry):
            self._last_retry_policy = ((retries, factor), policy)
        return policy

    # -- the retry layer ------------------------------------------------------

    def _send_handling_retries(
        self, request: Request, *, timeout: urllib3.Timeout, stream: bool
    ) -> urllib3.HTTPResponse:
        """Send ``request``, retrying failed attempts as the retry policy allows."""
        policy = self._retry_policy()
        while True:
            attempt = len(policy.history) + 1
            started = time.perf_counter()
            try:
                response = self._transport.send(
                    request, timeout=timeout, preload_content=not stream
                )
            except urllib3_errors.HTTPError as err:
                _log_attempt(request, type(err).__name__, attempt, started)
                if not policy.should_retry_error(request.method, err):
                    raise _connection_error(
                        request, err, attempt, self.configuration.secrets
                    ) from err

                policy = policy.increment(request.method, request.path, error=err)
                _log_retry(request, type(err).__name__, policy)
                policy.wait()
                continue

            _log_attempt(request, response.status, attempt, started)
            if not policy.should_retry_status(request.method, response.status):
                return response

            retry_after = response.headers.get("Retry-After")
            policy = policy.increment(
                request.method,
                request.path,
                status=response.status,
                retry_after=retry_after,
            )
            _log_retry(request, response.status, policy)
            _discard(response)
            policy.wait()

    # -- reading the response -------------------------------------------------

    def _read_response(
        self,
        operation: Operation,
        response: urllib3.HTTPResponse,
        *,
        stream: bool,
        skip_deserialization: bool,
    ) -> ApiResponse:
        """The ``ApiResponse`` for a 2xx answer; the ``ApiException`` for any other."""
        if not 200 <= response.status <= 299:
            declared = operation.response_for(response.status)
            raise self._exception_for(operation, declared, response)

        if skip_deserialization:
            return ApiResponseWithoutDeserialization(response=response)

        declared, response_class = _success_response(operation, response.status)
        headers = self._decode_headers(declared, response)
        if stream:
            return response_class(
                response=response, body=schemas.unset, headers=headers
            )

        body = self._decode_body(operation, declared, response)
        return response_class(response=response, body=body, headers=headers)

    def _decode_body(
        self,
        operation: Operation,
        declared: typing.Optional[Response],
        response: urllib3.HTTPResponse,
    ) -> typing.Any:
        """The body as its declared schema describes it; raises if it cannot be read."""
        data = response.data
        if declared is None or not declared.content:
            if data:
                log.debug(
                    "%s: ignoring a %d byte body; status %d declares none",
                    operation.operation_id,
                    len(data),
                    response.status,
                )
            return schemas.unset

        received = media_type(response.headers.get("Content-Type"))
        schema = _declared_schema(declared.content, received)
        if schema is None:
            expected = ", ".join(repr(media) for media in declared.content)
            message = (
                f"expected a body of type {expected} for status {response.status}, "
                f"got {received or 'no Content-Type'!r} ({len(data)} bytes)"
            )
            raise exceptions.response_error([SchemaError((), message, True)], response)
        if not is_json(received):
            return data

        try:
            document = json.loads(data)
        except (ValueError, RecursionError) as err:
            message = f"expected a JSON document, got {shorten(data)} ({err!r:.200})"
            raise exceptions.response_error(
                [SchemaError((), message, False)], response
            ) from None
        return self._validated(operation, schema, document, response)

    def _validated(
        self,
        operation: Operation,
        schema: schemas.Schema,
        document: typing.Any,
        response: urllib3.HTTPResponse,
    ) -> typing.Any:
        """The built value; mismatches logged, raised or ignored per the setting."""
        try:
            value, errors = schemas.from_response(schema, document, consume=True)
        except exceptions.ApiValueError as err:  # nested too deeply to build
            raise exceptions.response_error(err.errors, response) from None
        mode = self.configuration.response_validation
        if not errors or mode == "off":
            return value

        if mode == "strict":
            raise exceptions.response_error(errors, response, _schema_name(schema))
        self._mismatches.report(operation.operation_id, errors)
        return value

    def _decode_headers(
        self, declared: typing.Optional[Response], response: urllib3.HTTPResponse
    ) -> typing.Any:
        """The declared response headers that came, by name; ``unset`` if none are."""
        if declared is None or not declared.headers:
            return schemas.unset

        values = {}
        for param in declared.headers:
            raw = response.headers.get(param.name)
            if raw is not None:
                values[param.name], _ = schemas.from_response(
                    param.schema, _header_value(param.schema, raw)
                )
        return values

    def _exception_for(
        self,
        operation: Operation,
        declared: typing.Optional[Response],
        response: urllib3.HTTPResponse,
    ) -> exceptions.ApiException:
        """The exception for a non-2xx answer, with its Problem when it has one."""
        problem = _decode_problem(declared, response)
        body = problem if problem is not None else schemas.unset
        api_response = _response_class(declared)(response=response, body=body)
        hint = ""
        if response.status == 401:
            hint = self._unauthorized_hint(operation)
        return exceptions.exception_for_response(
            api_response, problem, hint, self.configuration.secrets
        )

    def _unauthorized_hint(self, operation: Operation) -> str:
        """What to do about a 401: configure a credential, or check the one sent."""
        if self.configuration.auth_headers(operation.security):
            return "The credential sent was refused: check it is right and current."
        hint = (
            "No credential was configured: set Configuration(api_key={'ApiKeyAuth': "
            "'<your API key>'}) or Configuration(access_token='<your JWT>')."
        )
        unknown = self.configuration.unknown_api_key_names()
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            hint += f" The api_key names {names} are no security scheme of this API."
        return hint


class Api:
    """Base of the generated API classes: holds the ``ApiClient`` they call through."""

    def __init__(self, api_client: typing.Optional[ApiClient] = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient()


# --------------------------------------------------------------------------
# Helpers: parameters


def _coerced(param: Parameter, value: typing.Any) -> typing.Any:
    """An int given for a plain string parameter (``pageSize=50``) as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        kind = schemas.as_type(param.schema)
        if isinstance(kind, schemas.String) and kind.format is None and not kind.enum:
            return str(value)
    return value


def _param_text(value: typing.Any) -> str:
    """A checked parameter value as the text sent (``True`` -> ``'true'``)."""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(_param_text(item) for item in value)
    return str(value)


_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
"""Text that percent-encoding leaves as it is (RFC 3986's unreserved characters)."""


def _render_path(
    operation: Operation, values: typing.List[typing.Tuple[Parameter, typing.Any]]
) -> str:
    """The path with each ``{name}`` replaced by its percent-encoded value.

    Nothing is left safe, so ``/``, ``?`` and ``#`` in a value stay inside its
    segment, and a value of ``.`` or ``..`` is encoded so it cannot climb.
    """
    path = operation.path
    for param, value in values:
        segment = _param_text(value)
        if not _UNRESERVED.fullmatch(segment):
            segment = urllib.parse.quote(segment, safe="")
        if segment in (".", ".."):
            segment = segment.replace(".", "%2E")
        path = path.replace(f"{{{param.name}}}", segment)
    return path


def _render_query(values: typing.List[typing.Tuple[Parameter, typing.Any]]) -> str:
    """The query string; an exploded array repeats its name (``status=A&status=B``)."""
    if not values:
        return ""
    pairs: typing.List[typing.Tuple[str, str]] = []
    for param, value in values:
        if isinstance(value, (list, tuple)) and param.explode:
            pairs.extend((param.name, _param_text(item)) for item in value)
        elif isinstance(value, collections.abc.Mapping) and param.explode:
            pairs.extend((key, _param_text(item)) for key, item in value.items())
        elif isinstance(value, collections.abc.Mapping):
            flat = [_param_text(part) for pair in value.items() for part in pair]
            pairs.append((param.name, ",".join(flat)))
        else:
            pairs.append((param.name, _param_text(value)))
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="")


def _accepted_types(operation: Operation) -> typing.List[str]:
    """Every content type the operation's responses declare, in order, once each."""
    seen: typing.Dict[str, None] = {}
    for response in operation.responses.values():
        seen.update(dict.fromkeys(response.content))
    return list(seen)


def _render_body(
    operation: Operation, body: typing.Any, content_type: typing.Optional[str]
) -> typing.Tuple[typing.Optional[bytes], typing.Optional[str]]:
    """The encoded body and its content type, or (None, None) when there is none."""
    declared = operation.request_body
    if declared is None:
        if body is not schemas.unset:
            message = f"{operation.operation_id} takes no body, got {shorten(body)}"
            raise exceptions.ApiTypeError([SchemaError(("body",), message, True)])
        return None, None
    if body is schemas.unset:
        if declared.required:
            message = f"{operation.operation_id} requires a body; pass body=..."
            raise exceptions.ApiTypeError([SchemaError(("body",), message, True)])
        return None, None

    if content_type is not None and not isinstance(content_type, str):
        message = f"expected content_type as a string, got {shorten(content_type)}"
        raise exceptions.ApiTypeError([SchemaError(("content_type",), message, True)])
    chosen = content_type or next(iter(declared.content))
    schema = _declared_schema(declared.content, media_type(chosen))
    if schema is None:
        allowed = ", ".join(repr(media) for media in declared.content)
        message = (
            f"{operation.operation_id} does not accept a {chosen!r} body; "
            f"give content_type as one of {allowed}"
        )
        raise exceptions.ApiValueError([SchemaError(("content_type",), message, False)])

    value = schemas.to_request_value(schema, body)
    return _encode_body(value, chosen)


def _encode_body(value: typing.Any, content_type: str) -> typing.Tuple[bytes, str]:
    """The bytes for a checked body value in ``content_type``."""
    media = media_type(content_type)
    if is_json(media):
        return schemas.dumps(value), content_type
    if media == FORM and isinstance(value, collections.abc.Mapping):
        pairs = [(key, _param_text(item)) for key, item in value.items()]
        return urllib.parse.urlencode(pairs).encode("ascii"), content_type
    if media == MULTIPART and isinstance(value, collections.abc.Mapping):
        parts = {
            key: item if isinstance(item, bytes) else _param_text(item)
            for key, item in value.items()
        }
        return urllib3.encode_multipart_formdata(parts)
    if isinstance(value, str):
        return value.encode("utf-8"), content_type
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), content_type

    msg = f"cannot encode a {type(value).__name__} body as {content_type!r}"
    raise exceptions.ApiTypeError([SchemaError(("body",), msg, True)])


# --------------------------------------------------------------------------
# Helpers: responses


def _success_response(
    operation: Operation, status: int
) -> typing.Tuple[typing.Optional[Response], typing.Type[ApiResponse]]:
    """The declaration to decode a 2xx with, and the class of its response.

    A success status the operation does not declare (the service may add
    some) is read with the first declared success instead of ``default``,
    and comes back as a plain ``ApiResponse``.
    """
    declared = operation.responses.get(str(status)) or operation.responses.get("2XX")
    if declared is not None:
        return declared, _response_class(declared)

    for code, candidate in operation.responses.items():
        if code.startswith("2"):
            log.debug(
                "%s: status %d is not declared; reading it as the %s response",
                operation.operation_id,
                status,
                code,
            )
            return candidate, ApiResponse
    return operation.responses.get("default"), ApiResponse


def _schema_name(schema: schemas.Schema) -> str:
    """The model name of a schema (a model class or a reference to one), or ''."""
    if isinstance(schema, type):
        return schema.__name__
    return getattr(schema, "name", "")


def _response_class(declared: typing.Optional[Response]) -> typing.Type[ApiResponse]:
    if declared is not None and declared.response_class is not None:
        return declared.response_class
    return ApiResponse


def _header_value(schema: schemas.Schema, raw: str) -> typing.Any:
    """A header's text as the JSON value its schema describes, when it parses."""
    kind = schemas.as_type(schema)
    if isinstance(kind, schemas.String):
        return raw
    if isinstance(kind, schemas.Array):
        return [item.strip() for item in raw.split(",")]
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _decode_problem(
    declared: typing.Optional[Response], response: urllib3.HTTPResponse
) -> typing.Optional[typing.Mapping[str, typing.Any]]:
    """The RFC 7807 Problem in an error body, or None when the body is not one."""
    data = response.data
    received = media_type(response.headers.get("Content-Type"))
    if not data or not is_json(received):
        return None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or not PROBLEM_MEMBERS & document.keys():
        return None

    schema = None
    if declared is not None:
        schema = _declared_schema(declared.content, received)
        if schema is None:
            json_schemas = [s for m, s in declared.content.items() if is_json(m)]
            schema = json_schemas[0] if json_schemas else None
    if schema is None:
        return document

    try:
        problem, errors = schemas.from_response(schema, document, consume=True)
    except exceptions.ApiValueError:  # nested too deeply to build
        return None
    if errors:
        log.debug(
            "error body is a Problem with %d mismatches: %s", len(errors), errors[0]
        )
    return typing.cast(typing.Mapping[str, typing.Any], problem)


def _discard(response: urllib3.HTTPResponse) -> None:
    """Read and drop a response that will be retried, freeing its connection."""
    try:
        response.drain_conn()
    finally:
        response.release_conn()


# --------------------------------------------------------------------------
# Helpers: logging and connection errors


def _log_attempt(
    request: Request, outcome: typing.Union[int, str], attempt: int, started: float
) -> None:
    if not log.isEnabledFor(logging.DEBUG):
        return
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.debug(
        "%s %s -> %s (attempt %d, %.0f ms)",
        request.method,
        request.path,
        outcome,
        attempt,
        elapsed_ms,
    )


def _log_retry(
    request: Request, outcome: typing.Union[int, str], policy: RetryPolicy
) -> None:
    log.warning(
        "%s %s -> %s; retrying in %.2f s (retry %d of %d)",
        request.method,
        request.path,
        outcome,
        policy.history[-1].delay,
        len(policy.history),
        policy.total,
    )


def _connection_error(
    request: Request,
    error: urllib3_errors.HTTPError,
    attempts: int,
    secrets: typing.Iterable[str],
) -> exceptions.ApiConnectionError:
    """The icasdk error for an attempt that got no answer, after the last retry."""
    timed_out = isinstance(error, urllib3_errors.ReadTimeoutError) or (
        isinstance(error, urllib3_errors.ConnectTimeoutError)
        and not isinstance(error, urllib3_errors.NewConnectionError)
    )
    what = "timed out" if timed_out else "failed"
    reason: object = error
    if isinstance(error, urllib3_errors.EmptyPoolError):
        what = "found no free connection in time"
        reason = (
            "every pooled connection is in use; read or release() streamed "
            "responses, or raise connection_pool_maxsize"
        )
    tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
    where = redact_url(request.url.split("?", 1)[0])
    message = f"{request.method} {where} {what} after {tries}: {reason}"
    message = exceptions.scrub(message, secrets)
    cls = exceptions.ApiTimeoutError if timed_out else exceptions.ApiConnectionError
    return cls(message, attempts)


class _MismatchLog:
    """Logs each kind of response mismatch once per client, with repeats counted.

    Mismatches that differ only in list positions (the same unknown enum
    value on 1,000 items) are one kind: one warning line with the count.
    """

    def __init__(self, limit: int = MAX_REMEMBERED_MISMATCHES) -> None:
        self._seen: typing.Set[typing.Tuple[str, str, str]] = set()
        self._limit = limit
        self._lock = threading.Lock()

    def report(self, operation_id: str, errors: typing.Sequence[SchemaError]) -> None:
        counts: typing.Counter[typing.Tuple[str, str]] = collections.Counter()
        first: typing.Dict[typing.Tuple[str, str], SchemaError] = {}
        for error in errors:
            kind = (_path_pattern(error.path), error.message)
            counts[kind] += 1
            first.setdefault(kind, error)

        for kind, count in counts.items():
            if not self._first_time((operation_id, *kind)):
                log.debug("%s: response mismatch again at %s", operation_id, kind[0])
                continue
            where = render_path(first[kind].path)
            if count > 1:
                where = f"{kind[0]} ({count} places, first {where})"
            log.warning(
                "%s: response does not match its definition at %s: %s",
                operation_id,
                where,
                kind[1],
            )

    def _first_time(self, key: typing.Tuple[str, str, str]) -> bool:
        with self._lock:
            if key in self._seen:
                return False
            if len(self._seen) < self._limit:
                self._seen.add(key)
            return True


def _path_pattern(path: typing.Sequence[typing.Union[str, int]]) -> str:
    """``('items', 3, 'status')`` -> ``['items'][*]['status']``."""
    steps = ("[*]" if isinstance(step, int) else f"[{step!r}]" for step in path)
    return "".join(steps) or "<root>"
