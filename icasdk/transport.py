"""One attempt at one HTTP request, over a urllib3 pool built from a Configuration.

The transport knows nothing of operations, retries or decoding: it sends the
bytes it is given and returns the urllib3 response, or raises urllib3's
error. ``ApiClient`` builds the request and decides what to do with the
outcome.
"""

from __future__ import annotations

import dataclasses
import logging
import typing
import urllib.parse

import urllib3

from icasdk.configuration import Configuration, Timeout, redact_url

log = logging.getLogger(__name__)

_NO_RETRIES = urllib3.Retry(total=False, redirect=False)
"""urllib3 makes no retry or redirect of its own. Passing ``retries=False``
would say the same, but urllib3 builds a new ``Retry`` from it on every call."""


@dataclasses.dataclass(frozen=True)
class Request:
    """A request ready to send: everything but the connection."""

    method: str
    url: str
    headers: typing.Mapping[str, str]
    body: typing.Optional[bytes] = None

    @property
    def path(self) -> str:
        """The URL's path, without the query: what log lines show."""
        return urllib.parse.urlsplit(self.url).path


def urllib3_timeout(value: typing.Union[Timeout, urllib3.Timeout]) -> urllib3.Timeout:
    """A urllib3 ``Timeout`` from seconds or a (connect, read) pair.

    Each number must be positive and finite (None waits for ever).
    """
    if isinstance(value, urllib3.Timeout):
        return value
    if value is None:
        return urllib3.Timeout(connect=None, read=None)
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            msg = f"timeout must be seconds or a (connect, read) pair, got {value!r}"
            raise ValueError(msg)
        connect, read = (_seconds(part, value) for part in value)
        return urllib3.Timeout(connect=connect, read=read)
    seconds = _seconds(value, value)
    return urllib3.Timeout(connect=seconds, read=seconds)


def _seconds(part: object, whole: object) -> typing.Optional[float]:
    if part is None:
        return None
    if isinstance(part, bool) or not isinstance(part, (int, float)):
        msg = f"timeout must be seconds or a (connect, read) pair, got {whole!r}"
        raise TypeError(msg)
    if not 0 < part < float("inf"):
        msg = f"timeout must be positive and finite seconds, got {whole!r}"
        raise ValueError(msg)
    return float(part)


# TODO(#7): the read timeout bounds each socket read, not the whole answer: a
# server trickling a byte per interval can hold a call past it (see the xfail
# test_a_trickled_body_cannot_outlast_the_timeout). A whole-answer deadline needs
# a watchdog closing the socket from another thread; not built yet.


def _pool_wait(timeout: urllib3.Timeout) -> typing.Optional[float]:
    """How long a call may wait for a free connection: a whole call's time."""
    connect, read = timeout.connect_timeout, timeout.read_timeout
    if not isinstance(connect, (int, float)) or not isinstance(read, (int, float)):
        return None
    return connect + read


class Transport:
    """A thread-safe urllib3 pool manager; ``send`` makes one attempt.

    The pool blocks when all of its ``connection_pool_maxsize`` connections
    per host are in use, so threads wait for a connection rather than open
    more. urllib3's own retries and redirects are off: the client decides.
    """

    def __init__(self, configuration: Configuration) -> None:
        self._pool = self._make_pool(configuration)
        self._last_wait: typing.Tuple[object, typing.Optional[float]] = (None, None)
        """The last timeout and its pool wait: calls share one Timeout object."""

    @staticmethod
    def _make_pool(configuration: Configuration) -> urllib3.PoolManager:
        options: typing.Dict[str, typing.Any] = {
            "maxsize": configuration.connection_pool_maxsize,
            "block": True,
            "retries": False,
        }
        if configuration.verify_ssl:
            options["cert_reqs"] = "CERT_REQUIRED"
            options["ca_certs"] = configuration.ca_cert_file()
        else:
            options["cert_reqs"] = "CERT_NONE"
        if configuration.cert_file:
            options["cert_file"] = configuration.cert_file
        if configuration.key_file:
            options["key_file"] = configuration.key_file
        if configuration.assert_hostname is not None:
            options["assert_hostname"] = configuration.assert_hostname
        if configuration.socket_options is not None:
            options["socket_options"] = configuration.socket_options

        proxy = configuration.proxy_for(configuration.host)
        if not proxy:
            return urllib3.PoolManager(**options)

        proxy_headers = dict(configuration.proxy_headers or {})
        auth = urllib3.util.parse_url(proxy).auth
        if auth and not any(k.lower() == "proxy-authorization" for k in proxy_headers):
            proxy_headers.update(urllib3.make_headers(proxy_basic_auth=auth))
        log.debug("connecting through proxy %s", redact_url(proxy))
        return urllib3.ProxyManager(proxy, proxy_headers=proxy_headers, **options)

    def send(
        self, request: Request, *, timeout: urllib3.Timeout, preload_content: bool
    ) -> urllib3.HTTPResponse:
        """Send ``request`` once; urllib3 errors propagate to the caller.

        Waiting for a free pooled connection is bounded by the connect plus the
        read timeout, as long as one call may hold a connection (``EmptyPoolError``
        then): a caller who keeps streamed responses unread cannot make later
        calls hang for ever, while busy threads still get their turn.
        """
        response: urllib3.HTTPResponse = self._pool.urlopen(  # type: ignore[assignment]
            request.method,
            request.url,
            body=request.body,
            headers=dict(request.headers),
            timeout=timeout,
            pool_timeout=self._pool_wait(timeout),
            preload_content=preload_content,
            redirect=False,
            retries=_NO_RETRIES,
        )
        return response

    def _pool_wait(self, timeout: urllib3.Timeout) -> typing.Optional[float]:
        last_timeout, wait = self._last_wait
        if timeout is not last_timeout:
            wait = _pool_wait(timeout)
            self._last_wait = (timeout, wait)
        return wait

    def close(self) -> None:
        """Close every pooled connection.

        urllib3 2's ``PoolManager.clear()`` forgets its pools without closing
        them, leaving idle connections open until garbage collection; each pool
        is closed here first.
        """
        pools = self._pool.pools
        for key in list(pools.keys()):
            try:
                pool = pools[key]
            except KeyError:  # dropped by another thread meanwhile
                continue
            pool.close()
        self._pool.clear()
