"""Where the service is and how to reach it: host, credentials, TLS, proxy, limits.

A ``Configuration`` is plain settings; ``ApiClient`` reads it when it is
created (the connection pool, TLS and proxy) and on each call (credentials,
timeout, retries, response validation). Settings that are not given fall
back to the environment where the usual variables exist (``HTTPS_PROXY``,
``HTTP_PROXY``, ``NO_PROXY``, ``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``) and
then to the defaults below. The host falls back to ``ICAV2_BASE_URL``, the
variable of Illumina's icav2 command-line tool. No repr shows a credential.
"""

from __future__ import annotations

import logging
import os
import re
import typing
import urllib.parse

log = logging.getLogger(__name__)

DEFAULT_HOST = "/ica/rest"
"""The server URL in the API definition: a path on the public service."""
HOST_VARIABLE = "ICAV2_BASE_URL"
"""The environment variable giving the host when ``host`` is not passed."""
PUBLIC_ORIGIN = "https://ica.illumina.com"
"""Where a host given as a bare path (``/ica/rest``) lives."""
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 120.0
"""Seconds; creating a batch of many thousand data ids can take a while."""
DEFAULT_POOL_MAXSIZE = 10
"""Connections kept per host; threads beyond that wait for a free one."""
RESPONSE_VALIDATION_MODES = ("warn", "strict", "off")
DEFAULT_LOGGER_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# The security schemes of the API definition and where their credential goes.
API_KEY_HEADERS = {"ApiKeyAuth": "X-API-Key"}
"""Schemes whose key from ``api_key`` travels in a header of this name."""
BEARER_SCHEMES = ("JwtAuth",)
"""Schemes whose credential is ``access_token``, sent as ``Authorization: Bearer``."""

PACKAGE_LOGGERS = ("icasdk", "urllib3")
REDACTED = "***"

Timeout = typing.Union[None, float, typing.Tuple[float, float]]


def _env(*names: str) -> typing.Optional[str]:
    """The first of the environment variables ``names`` that is set and not empty."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


class Configuration:
    """Settings for an ``ApiClient``.

    ``host`` is the base URL of the API: a full URL is used as given, and a
    path (the default, ``/ica/rest``) is taken on the public service,
    ``https://ica.illumina.com``. Without ``host``, ``ICAV2_BASE_URL`` from
    the environment is used when it is set. Credentials are ``api_key`` (a dict keyed by
    the scheme name, ``{"ApiKeyAuth": key}``, with an optional
    ``api_key_prefix`` dict of the same shape) or ``access_token`` (a JWT sent
    as a bearer token).

    The other settings are attributes and may be set after construction:

    - ``verify_ssl``, ``ssl_ca_cert``, ``cert_file``, ``key_file``,
      ``assert_hostname``: TLS. Certificates are verified against
      ``ssl_ca_cert``, else ``SSL_CERT_FILE`` or ``REQUESTS_CA_BUNDLE``, else
      certifi's bundle.
    - ``proxy``, ``proxy_headers``, ``no_proxy``: a proxy URL (default from
      ``HTTPS_PROXY`` / ``HTTP_PROXY``) and hosts that bypass it (default
      from ``NO_PROXY``).
    - ``timeout``: seconds, or a (connect, read) pair; per call too.
    - ``retries``: a retry count, a ``urllib3.Retry`` or an
      ``icasdk.retries.RetryPolicy``; ``retry_backoff_factor`` the seconds
      before the first retry (it doubles each time).
    - ``connection_pool_maxsize``, ``socket_options``: the connection pool.
    - ``response_validation``: ``"warn"`` (log mismatches, keep the data),
      ``"strict"`` (raise on a mismatch) or ``"off"``.
    - ``debug``, ``logger_file``, ``logger_format``: logging of the ``icasdk``
      and ``urllib3`` loggers. Debug logging never shows credentials.
    """

    _default: typing.ClassVar[typing.Optional[Configuration]] = None

    def __init__(
        self,
        host: typing.Optional[str] = None,
        api_key: typing.Optional[typing.Dict[str, str]] = None,
        api_key_prefix: typing.Optional[typing.Dict[str, str]] = None,
        access_token: typing.Optional[str] = None,
        *,
        verify_ssl: bool = True,
        ssl_ca_cert: typing.Optional[str] = None,
        cert_file: typing.Optional[str] = None,
        key_file: typing.Optional[str] = None,
        assert_hostname: typing.Union[None, str, bool] = None,
        proxy: typing.Optional[str] = None,
        proxy_headers: typing.Optional[typing.Mapping[str, str]] = None,
        no_proxy: typing.Optional[str] = None,
        timeout: Timeout = (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT),
        retries: typing.Any = None,
        retry_backoff_factor: typing.Optional[float] = None,
        connection_pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        socket_options: typing.Optional[list] = None,
        response_validation: str = "warn",
        debug: bool = False,
        logger_file: typing.Optional[str] = None,
        logger_format: str = DEFAULT_LOGGER_FORMAT,
    ) -> None:
        if host is None:
            host = _env(HOST_VARIABLE) or DEFAULT_HOST
        self.host = host
        self.api_key: typing.Dict[str, str] = dict(api_key or {})
        self.api_key_prefix: typing.Dict[str, str] = dict(api_key_prefix or {})
        self.access_token = access_token

        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert
        self.cert_file = cert_file
        self.key_file = key_file
        self.assert_hostname = assert_hostname
        self.proxy = proxy
        self.proxy_headers = proxy_headers
        self.no_proxy = no_proxy

        self.timeout = timeout
        self.retries = retries
        self.retry_backoff_factor = retry_backoff_factor
        if isinstance(connection_pool_maxsize, bool) or not isinstance(
            connection_pool_maxsize, int
        ):
            msg = (
                "connection_pool_maxsize must be a whole number of connections, "
                f"got {connection_pool_maxsize!r}"
            )
            raise TypeError(msg)
        if connection_pool_maxsize < 1:
            msg = (
                "connection_pool_maxsize must be at least 1, "
                f"got {connection_pool_maxsize!r}"
            )
            raise ValueError(msg)
        self.connection_pool_maxsize = connection_pool_maxsize
        self.socket_options = socket_options
        self.response_validation = response_validation

        self.logger_format = logger_format
        self._logger_file: typing.Optional[str] = None
        self._file_handler: typing.Optional[logging.Handler] = None
        self._stream_handler: typing.Optional[logging.Handler] = None
        self._debug = False
        if logger_file is not None:
            self.logger_file = logger_file
        if debug:
            self.debug = debug

    # -- the default configuration -------------------------------------------

    @classmethod
    def set_default(cls, configuration: typing.Optional[Configuration]) -> None:
        """Make ``configuration`` the one used by ``ApiClient()`` with no argument."""
        cls._default = configuration

    @classmethod
    def get_default(cls) -> Configuration:
        """The configuration set with ``set_default``, else a new default one."""
        return cls._default if cls._default is not None else cls()

    # -- host -----------------------------------------------------------------

    @property
    def host(self) -> str:
        """The base URL of the API, always absolute and without a trailing slash."""
        return self._host

    @host.setter
    def host(self, value: str) -> None:
        if not isinstance(value, str):
            msg = (
                f"host must be a URL or a path such as {DEFAULT_HOST!r}, got {value!r}"
            )
            raise TypeError(msg)

        text = value.strip().rstrip("/")
        if text.startswith("/"):
            text = PUBLIC_ORIGIN + text
        parts = urllib.parse.urlsplit(text)
        shown = redact_url(value)
        if parts.scheme not in ("http", "https"):
            msg = (
                "host must start with 'https://', 'http://' or '/' "
                f"(a path on {PUBLIC_ORIGIN}), got {shown!r}"
            )
            raise ValueError(msg)
        if not parts.hostname:
            raise ValueError(f"host must name a server, got {shown!r}")
        if parts.query or parts.fragment or "?" in text or "#" in text:
            msg = f"host must be a base URL without '?' or '#', got {shown!r}"
            raise ValueError(msg)
        self._host = text

    # -- validation ---------------------------------------------------------

    @property
    def response_validation(self) -> str:
        """What a response that does not match its definition does."""
        return self._response_validation

    @response_validation.setter
    def response_validation(self, value: str) -> None:
        if value not in RESPONSE_VALIDATION_MODES:
            allowed = ", ".join(repr(mode) for mode in RESPONSE_VALIDATION_MODES)
            msg = f"response_validation must be one of {allowed}, got {value!r}"
            raise ValueError(msg)
        self._response_validation = value

    # -- credentials ----------------------------------------------------------

    def get_api_key_with_prefix(
        self, identifier: str, alias: typing.Optional[str] = None
    ) -> typing.Optional[str]:
        """The key for a scheme, with its prefix (``"Bearer abc"``) when one is set."""
        key = self.api_key.get(identifier)
        if key is None and alias is not None:
            key = self.api_key.get(alias)
        if not key:
            return None

        prefix = self.api_key_prefix.get(identifier)
        return f"{prefix} {key}" if prefix else key

    def auth_headers(self, security: typing.Sequence[str]) -> typing.Dict[str, str]:
        """The header for the first scheme in ``security`` that has a credential.

        Raises ``ApiValueError`` (never showing the value) for a credential
        that cannot travel in a header; whitespace around it is dropped, as a
        key read from a file often ends in a line break.
        """
        for scheme in security:
            if scheme in API_KEY_HEADERS:
                key = self.get_api_key_with_prefix(scheme)
                if key:
                    safe = _header_safe(key, ("api_key", scheme))
                    return {API_KEY_HEADERS[scheme]: safe}
            elif scheme in BEARER_SCHEMES and self.access_token:
                token = _header_safe(self.access_token, ("access_token",))
                return {"Authorization": f"Bearer {token}"}
        return {}

    def unknown_api_key_names(self) -> typing.List[str]:
        """Names in ``api_key`` that are no security scheme (e.g. 'X-API-Key')."""
        return [name for name in self.api_key if name not in API_KEY_HEADERS]

    @property
    def secrets(self) -> typing.Tuple[str, ...]:
        """Every credential set, so that text can be checked or scrubbed of them.

        API keys, the access token, and passwords in the host or proxy URL.
        """
        values = [*self.api_key.values(), self.access_token]
        for url in (self.host, self.proxy):
            if url and "@" in url:
                values.append(urllib.parse.urlsplit(url).password)
        return tuple(value for value in values if value)

    # -- TLS and proxy ------------------------------------------------------

    def ca_cert_file(self) -> str:
        """The CA bundle to verify servers with: setting, environment, certifi."""
        if self.ssl_ca_cert:
            return self.ssl_ca_cert
        from_env = _env("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
        if from_env:
            return from_env

        import certifi

        return certifi.where()

    def proxy_for(self, url: str) -> typing.Optional[str]:
        """The proxy URL to reach ``url`` through, or None to connect directly."""
        parts = urllib.parse.urlsplit(url)
        no_proxy = (
            self.no_proxy if self.no_proxy is not None else _env("NO_PROXY", "no_proxy")
        )
        if no_proxy and _bypasses_proxy(parts.hostname or "", parts.port, no_proxy):
            log.debug("no proxy for %s: it matches no_proxy", parts.hostname)
            return None

        if self.proxy:
            return self.proxy
        if parts.scheme == "https":
            return _env("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
        return _env("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")

    # -- logging ------------------------------------------------------------

    @property
    def debug(self) -> bool:
        """True logs icasdk and urllib3 at DEBUG (credentials are never logged)."""
        return self._debug

    @debug.setter
    def debug(self, value: bool) -> None:
        self._debug = bool(value)
        level = logging.DEBUG if value else logging.WARNING
        for name in PACKAGE_LOGGERS:
            logging.getLogger(name).setLevel(level)

        if (
            value
            and self._stream_handler is None
            and not _has_handlers(PACKAGE_LOGGERS)
        ):
            self._stream_handler = logging.StreamHandler()
            self._stream_handler.setFormatter(logging.Formatter(self.logger_format))
            self._add_handler(self._stream_handler)
        elif not value and self._stream_handler is not None:
            self._remove_handler(self._stream_handler)
            self._stream_handler = None

    @property
    def logger_file(self) -> typing.Optional[str]:
        """A file that receives the icasdk and urllib3 log records, or None."""
        return self._logger_file

    @logger_file.setter
    def logger_file(self, value: typing.Optional[str]) -> None:
        if self._file_handler is not None:
            self._remove_handler(self._file_handler)
            self._file_handler.close()
            self._file_handler = None

        self._logger_file = value
        if value:
            self._file_handler = logging.FileHandler(value)
            self._file_handler.setFormatter(logging.Formatter(self.logger_format))
            self._add_handler(self._file_handler)

    @staticmethod
    def _add_handler(handler: logging.Handler) -> None:
        for name in PACKAGE_LOGGERS:
            logging.getLogger(name).addHandler(handler)

    @staticmethod
    def _remove_handler(handler: logging.Handler) -> None:
        for name in PACKAGE_LOGGERS:
            logging.getLogger(name).removeHandler(handler)

    # -- display ------------------------------------------------------------

    def __repr__(self) -> str:
        api_key = {scheme: REDACTED for scheme in self.api_key}
        shown = [
            f"host={redact_url(self.host)!r}",
            f"api_key={api_key!r}",
            f"api_key_prefix={self.api_key_prefix!r}",
            f"access_token={REDACTED if self.access_token else None!r}",
            f"verify_ssl={self.verify_ssl!r}",
            f"proxy={redact_url(self.proxy)!r}",
            f"timeout={self.timeout!r}",
            f"retries={self.retries!r}",
            f"response_validation={self.response_validation!r}",
        ]
        return f"Configuration({', '.join(shown)})"


def _header_safe(value: str, setting: typing.Tuple[str, ...]) -> str:
    """``value`` stripped; an error naming ``setting`` if a header cannot carry it."""
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str):
        from icasdk.exceptions import SchemaError, validation_error

        message = f"expected a string, got {type(value).__name__}"
        raise validation_error([SchemaError(setting, message, True)])
    # No Python loop: a JWT is a few thousand characters, sent on every call.
    # Printable ASCII (the common case) is all fit; otherwise one pattern finds
    # the first unfit character, as Latin-1 letters are fit too.
    fit = text.isascii() and text.isprintable()
    unfit = None if fit else _HEADER_UNFIT.search(text)
    if unfit is not None:
        from icasdk.exceptions import SchemaError, validation_error

        message = (
            f"the credential holds a character an HTTP header cannot carry "
            f"(U+{ord(unfit.group()):04X} at position {unfit.start()}); check how "
            "it was read or pasted"
        )
        raise validation_error([SchemaError(setting, message, False)])
    return text


_HEADER_UNFIT = re.compile(r"[^\x20-\x7e\x80-\xff]")
"""A character no header value can carry: a control, DEL, or beyond Latin-1."""


def redact_url(url: typing.Optional[str]) -> typing.Optional[str]:
    """``http://user:secret@proxy:3128`` -> ``http://***@proxy:3128``."""
    if not url or "@" not in url:
        return url
    parts = urllib.parse.urlsplit(url)
    if not (parts.username or parts.password):
        return url
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def _has_handlers(names: typing.Iterable[str]) -> bool:
    """True when a record of these loggers would reach a real handler somewhere."""
    for name in names:
        logger: typing.Optional[logging.Logger] = logging.getLogger(name)
        while logger is not None:
            if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
                return True
            logger = logger.parent if logger.propagate else None
    return False


def _bypasses_proxy(host: str, port: typing.Optional[int], no_proxy: str) -> bool:
    """True when ``host`` (and ``port``) matches an entry of a NO_PROXY list.

    Entries are host names or domains (``example.com`` and ``.example.com``
    both match ``api.example.com``), optionally with ``:port``; ``*`` matches
    every host.
    """
    host = host.lower()
    for entry in no_proxy.replace(" ", "").lower().split(","):
        if not entry:
            continue
        if entry == "*":
            return True

        name, _, entry_port = entry.rpartition(":") if ":" in entry else (entry, "", "")
        if entry_port and (not entry_port.isdigit() or int(entry_port) != port):
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False
