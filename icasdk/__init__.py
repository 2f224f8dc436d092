"""icasdk: a typed client for the ICA Project Data Update Batch API.

``import icasdk`` stays cheap: the client and urllib3 load on first use of
``icasdk.ApiClient`` (or ``icasdk.Api``).
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
import logging
import typing

from icasdk.configuration import Configuration
from icasdk.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiTimeoutError,
    ApiTypeError,
    ApiValueError,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ResponseError,
    ServiceException,
    TooManyRequestsException,
    UnauthorizedException,
)

if typing.TYPE_CHECKING:
    from icasdk.api_client import Api, ApiClient

__all__ = [
    "Api",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "BadRequestException",
    "Configuration",
    "ConflictException",
    "ForbiddenException",
    "NotFoundException",
    "OpenApiException",
    "ResponseError",
    "ServiceException",
    "TooManyRequestsException",
    "UnauthorizedException",
]

# Names served by a module imported on first use, to keep ``import icasdk`` fast.
_LAZY = {"ApiClient": "icasdk.api_client", "Api": "icasdk.api_client"}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'icasdk' has no attribute {name!r}"
        raise AttributeError(msg)

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> typing.List[str]:
    return sorted(set(globals()) | set(_LAZY))
