"""The package's exports, and that importing it stays cheap."""

from __future__ import annotations

import subprocess
import sys

import pytest

import icasdk

EXPORTS = [
    "Configuration",
    "ApiClient",
    "Api",
    "ApiException",
    "BadRequestException",
    "UnauthorizedException",
    "ForbiddenException",
    "NotFoundException",
    "ConflictException",
    "TooManyRequestsException",
    "ServiceException",
    "ApiConnectionError",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "OpenApiException",
]


@pytest.mark.parametrize("name", EXPORTS)
def test_public_names_are_exported(name):
    """Each public name is an attribute of icasdk and listed in __all__ and dir()."""
    assert getattr(icasdk, name) is not None
    assert name in icasdk.__all__
    assert name in dir(icasdk)


def test_import_does_not_load_urllib3():
    """import icasdk loads neither urllib3 nor the client until ApiClient is used."""
    code = (
        "import sys, icasdk\n"
        "assert 'urllib3' not in sys.modules\n"
        "assert 'icasdk.api_client' not in sys.modules\n"
        "icasdk.ApiClient\n"
        "assert 'urllib3' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_is_an_attribute_error():
    """A name icasdk does not have raises AttributeError, naming it."""
    with pytest.raises(AttributeError, match="no attribute 'ApiClinet'"):
        icasdk.ApiClinet  # noqa: B018
