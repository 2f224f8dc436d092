"""What an API operation is: the declarations that the generated paths/ fill in.

The generator writes one ``Operation`` per operation of the OpenAPI document;
``ApiClient.call_operation`` reads it to check parameters, pick content types
and decode responses. Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import typing

if typing.TYPE_CHECKING:
    from icasdk.schemas import Schema

# Where a parameter travels, as the OpenAPI ``in`` field names it.
PATH = "path"
QUERY = "query"
HEADER = "header"
COOKIE = "cookie"


@dataclasses.dataclass(frozen=True)
class Parameter:
    """One declared parameter of an operation."""

    name: str
    """The parameter's name in the definition, e.g. ``projectId``."""
    location: str
    """``path``, ``query``, ``header`` or ``cookie``."""
    schema: Schema
    """The value's type: a ``schemas.Type`` or a model class."""
    required: bool = False
    explode: bool = True
    """For arrays in the query: repeat the name per value (``status=A&status=B``)."""
    description: str = ""


@dataclasses.dataclass(frozen=True)
class RequestBody:
    """The body an operation takes, by content type."""

    content: typing.Mapping[str, Schema]
    required: bool = False


@dataclasses.dataclass(frozen=True)
class Response:
    """One declared response: its description, body types and headers."""

    description: str
    content: typing.Mapping[str, Schema]
    headers: typing.Tuple[Parameter, ...] = ()
    response_class: typing.Optional[type] = None
    """The generated ``ApiResponseFor<status>`` class, for typing and isinstance."""


@dataclasses.dataclass(frozen=True)
class Operation:
    """One operation: method, path template, parameters, body and responses."""

    operation_id: str
    method: str
    """Upper case, e.g. ``POST``."""
    path: str
    """The path template relative to the server URL, e.g. ``/api/projects/{projectId}``."""
    summary: str
    parameters: typing.Tuple[Parameter, ...]
    request_body: typing.Optional[RequestBody]
    responses: typing.Mapping[str, Response]
    """Keyed by status code (``"200"``), range (``"2XX"``) or ``"default"``."""
    security: typing.Tuple[str, ...]
    """Names of the security schemes that may authorize it, in preference order."""

    _by_location: typing.Mapping[str, typing.Mapping[str, Parameter]] = (
        dataclasses.field(init=False, repr=False, compare=False)
    )
    """Parameters by location and name, made once: every call looks them up."""

    def __post_init__(self) -> None:
        by_location: typing.Dict[str, typing.Dict[str, Parameter]] = {}
        for param in self.parameters:
            by_location.setdefault(param.location, {})[param.name] = param
        object.__setattr__(self, "_by_location", by_location)

    def parameters_in(self, location: str) -> typing.Mapping[str, Parameter]:
        """The declared parameters that travel in ``location``, by name."""
        return self._by_location.get(location, {})

    def response_for(self, status: int) -> typing.Optional[Response]:
        """The declared response for a status: exact code, then ``NXX``, then default."""
        exact = self.responses.get(str(status))
        if exact is not None:
            return exact

        family = self.responses.get(f"{status // 100}XX")
        if family is not None:
            return family

        return self.responses.get("default")
