"""Configuration: host, credentials, environment fallbacks, logging, repr."""

from __future__ import annotations

import logging

import certifi
import pytest
from hypothesis import given
from hypothesis import strategies as st

import icasdk
from icasdk import Configuration
from icasdk.configuration import DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT


def test_default_host_is_the_public_service():
    """The documented default host, /ica/rest, resolves to ica.illumina.com."""
    assert Configuration().host == "https://ica.illumina.com/ica/rest"
    assert Configuration(host="/ica/rest").host == "https://ica.illumina.com/ica/rest"


def test_full_url_host_is_used_as_given():
    """A full URL is kept (without a trailing slash)."""
    config = Configuration(host="https://use1.platform.illumina.com/ica/rest/")

    assert config.host == "https://use1.platform.illumina.com/ica/rest"


@pytest.mark.parametrize("bad", ["ica.illumina.com/ica/rest", "ftp://x/ica/rest"])
def test_host_without_http_scheme_is_refused(bad):
    """A host that is neither an http(s) URL nor a path says what it expected."""
    with pytest.raises(ValueError, match="host must start with 'https://'"):
        Configuration(host=bad)


def test_api_key_can_be_set_after_construction_with_prefix():
    """configuration.api_key['ApiKeyAuth'] and api_key_prefix work as documented."""
    config = Configuration(host="/ica/rest")
    config.api_key["ApiKeyAuth"] = "my-key"

    assert config.auth_headers(["ApiKeyAuth"]) == {"X-API-Key": "my-key"}

    config.api_key_prefix["ApiKeyAuth"] = "Bearer"
    assert config.auth_headers(["ApiKeyAuth"]) == {"X-API-Key": "Bearer my-key"}


def test_access_token_is_a_bearer_header():
    """Configuration(access_token=...) authorizes with Authorization: Bearer."""
    config = Configuration(access_token="jwt-123")

    assert config.auth_headers(["JwtAuth", "ApiKeyAuth"]) == {
        "Authorization": "Bearer jwt-123"
    }


def test_first_configured_scheme_in_the_operation_order_is_used():
    """With a key and a token, the operation's preferred scheme decides."""
    config = Configuration(api_key={"ApiKeyAuth": "k"}, access_token="t")

    assert config.auth_headers(["JwtAuth", "ApiKeyAuth"]) == {
        "Authorization": "Bearer t"
    }
    assert config.auth_headers(["ApiKeyAuth", "JwtAuth"]) == {"X-API-Key": "k"}
    assert Configuration().auth_headers(["JwtAuth", "ApiKeyAuth"]) == {}


def test_repr_never_shows_credentials():
    """repr shows which credentials are set, never their values."""
    config = Configuration(
        api_key={"ApiKeyAuth": "secret-key"},
        access_token="secret-token",
        proxy="http://user:secret-pass@proxy.example:3128",
    )

    text = repr(config)
    assert "secret" not in text
    assert "'ApiKeyAuth': '***'" in text
    assert "http://***@proxy.example:3128" in text


def test_default_timeout_is_finite_for_connect_and_read():
    """Without a timeout setting, connecting and reading both have a limit."""
    assert Configuration().timeout == (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)


def test_unknown_response_validation_mode_is_refused():
    """response_validation accepts warn, strict and off, and names them otherwise."""
    with pytest.raises(ValueError, match="'warn', 'strict', 'off', got 'loud'"):
        Configuration(response_validation="loud")


def test_https_proxy_comes_from_the_environment(monkeypatch):
    """HTTPS_PROXY is used for https hosts and HTTP_PROXY for http ones."""
    monkeypatch.setenv("HTTPS_PROXY", "http://secure-proxy:3128")
    monkeypatch.setenv("HTTP_PROXY", "http://plain-proxy:3128")
    config = Configuration()

    assert (
        config.proxy_for("https://ica.illumina.com/ica/rest")
        == "http://secure-proxy:3128"
    )
    assert config.proxy_for("http://example.test/") == "http://plain-proxy:3128"


def test_no_proxy_from_the_environment_bypasses_the_proxy(monkeypatch):
    """Hosts that match NO_PROXY (domain suffixes, host:port, *) connect directly."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    monkeypatch.setenv("NO_PROXY", "localhost, .illumina.com,intranet:8443")
    config = Configuration()

    assert config.proxy_for("https://ica.illumina.com/ica/rest") is None
    assert config.proxy_for("https://localhost/") is None
    assert config.proxy_for("https://intranet:8443/") is None
    assert config.proxy_for("https://intranet/") == "http://proxy:3128"
    assert config.proxy_for("https://notillumina.com/") == "http://proxy:3128"

    monkeypatch.setenv("NO_PROXY", "*")
    assert config.proxy_for("https://anything.example/") is None


def test_proxy_setting_wins_over_the_environment(monkeypatch):
    """An explicit proxy is used instead of HTTPS_PROXY."""
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy:3128")
    config = Configuration(proxy="http://set-proxy:8080")

    assert config.proxy_for("https://ica.illumina.com/") == "http://set-proxy:8080"


def test_ca_bundle_comes_from_setting_environment_or_certifi(monkeypatch):
    """ssl_ca_cert, then SSL_CERT_FILE, then REQUESTS_CA_BUNDLE, then certifi."""
    assert Configuration().ca_cert_file() == certifi.where()

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/requests.pem")
    assert Configuration().ca_cert_file() == "/etc/requests.pem"

    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl.pem")
    assert Configuration().ca_cert_file() == "/etc/ssl.pem"
    assert Configuration(ssl_ca_cert="/mine.pem").ca_cert_file() == "/mine.pem"


def test_logger_file_receives_icasdk_records(tmp_path):
    """logger_file adds a file handler to the icasdk logger; None removes it."""
    path = tmp_path / "icasdk.log"
    config = Configuration(logger_file=str(path))
    logger = logging.getLogger("icasdk.test")
    logger.warning("hello %s", "file")
    config.logger_file = None
    logger.warning("not written")

    text = path.read_text()
    assert "hello file" in text
    assert "not written" not in text


def test_debug_turns_on_debug_logging_and_off_again():
    """debug=True sets the icasdk and urllib3 loggers to DEBUG; False undoes it."""
    icasdk_logger = logging.getLogger("icasdk")
    before = icasdk_logger.level
    try:
        config = Configuration(debug=True)
        assert config.debug
        assert icasdk_logger.level == logging.DEBUG
        assert logging.getLogger("urllib3").level == logging.DEBUG

        config.debug = False
        assert icasdk_logger.level == logging.WARNING
    finally:
        icasdk_logger.setLevel(before)
        logging.getLogger("urllib3").setLevel(logging.NOTSET)


def test_set_default_is_used_by_get_default():
    """Configuration.set_default makes the configuration ApiClient() picks up."""
    mine = Configuration(host="https://example.test/ica/rest")
    Configuration.set_default(mine)
    try:
        assert Configuration.get_default() is mine
    finally:
        Configuration.set_default(None)
    assert Configuration.get_default().host == "https://ica.illumina.com/ica/rest"


def test_host_comes_from_icav2_base_url_when_not_given(monkeypatch):
    """Without host=, ICAV2_BASE_URL picks the server; an explicit host wins."""
    monkeypatch.setenv("ICAV2_BASE_URL", "https://emea.example.test/ica/rest")

    assert Configuration().host == "https://emea.example.test/ica/rest"
    assert Configuration(host="/ica/rest").host == "https://ica.illumina.com/ica/rest"


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("https://", "host must name a server"),
        ("https://x.example.test/ica/rest?x=1", "without '\\?' or '#'"),
        ("http://x.example.test#frag", "without '\\?' or '#'"),
    ],
)
def test_host_that_cannot_be_a_base_url_is_refused(host, message):
    """A host with no server, a query or a fragment is refused up front."""
    with pytest.raises(ValueError, match=message):
        Configuration(host=host)


def test_password_in_a_refused_host_is_not_shown():
    """The error for a bad host never shows a password it holds."""
    with pytest.raises(ValueError) as caught:
        Configuration(host="https://user:SECRET-PW@x.example.test/ica?x=1")

    assert "SECRET-PW" not in str(caught.value)


@pytest.mark.parametrize("size", [0, -1])
def test_pool_size_below_one_is_refused(size):
    """connection_pool_maxsize must allow at least one connection."""
    with pytest.raises(ValueError, match="connection_pool_maxsize must be at least 1"):
        Configuration(connection_pool_maxsize=size)


@pytest.mark.parametrize("size", [None, "4", 2.5, True])
def test_pool_size_that_is_not_a_count_is_refused(size):
    """connection_pool_maxsize must be a whole number."""
    with pytest.raises(TypeError, match="connection_pool_maxsize must be a whole"):
        Configuration(connection_pool_maxsize=size)


def test_whitespace_around_a_credential_is_dropped():
    """A key read from a file with its line break still works."""
    config = Configuration(api_key={"ApiKeyAuth": " key-123\n"}, access_token="tok\n")

    assert config.auth_headers(["ApiKeyAuth"]) == {"X-API-Key": "key-123"}
    assert config.auth_headers(["JwtAuth"]) == {"Authorization": "Bearer tok"}


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"api_key": {"ApiKeyAuth": "SECRET\nMORE"}}, "['api_key']['ApiKeyAuth']"),
        ({"access_token": "SECRET\x01MORE"}, "['access_token']"),
        ({"access_token": "SECRET\u20acMORE"}, "['access_token']"),
    ],
)
def test_credential_a_header_cannot_carry_is_refused_unseen(settings, named):
    """A control or non-Latin-1 character is an ApiValueError that hides the value."""
    config = Configuration(**settings)
    scheme = "ApiKeyAuth" if "api_key" in settings else "JwtAuth"

    with pytest.raises(icasdk.ApiValueError) as caught:
        config.auth_headers([scheme])

    assert "SECRET" not in str(caught.value)
    assert named in str(caught.value)


@given(st.text())
def test_a_credential_is_refused_exactly_when_a_character_cannot_travel(text):
    """Controls, DEL and characters beyond Latin-1 are refused; the first is named."""
    config = Configuration(access_token="x" + text + "x")
    unfit = [
        position
        for position, character in enumerate("x" + text + "x")
        if character < " " or character == "\x7f" or character > "\xff"
    ]

    if not unfit:
        assert config.auth_headers(["JwtAuth"])
        return
    with pytest.raises(icasdk.ApiValueError, match=f"at position {unfit[0]}\\)"):
        config.auth_headers(["JwtAuth"])
