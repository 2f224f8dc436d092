"""Settings from arguments, the environment and the official icav2 tool's files.

Each setting is taken from the first place that has it:

1. an explicit argument to ``load_settings``;
2. the environment: ``ICAV2_BASE_URL`` (the API's full URL),
   ``ICAV2_X_API_KEY``, ``ICAV2_ACCESS_TOKEN``, ``ICAV2_PROJECT_ID``;
3. the icav2 tool's files: ``~/.icav2/.session.ica.yaml`` (``access-token``,
   ``project-id``) and ``~/.icav2/config.yaml`` (``server-url``, a bare host
   such as ``ica.illumina.com``, and ``x-api-key``);
4. the public service, ``https://ica.illumina.com/ica/rest``, for the URL.

The credential is taken as a whole from the first place that has one, so an
explicit API key is never overridden by a token found further down; where
one place has both, the API key is used. The files are read only when a
setting is still missing. An access token is a JWT: one whose ``exp`` has
passed is refused with ``CredentialsError`` before any call is made (the
payload is decoded, not verified; the service does that).

The files are flat ``key: value`` YAML maps, read by ``read_flat_yaml``, a
small strict reader of that subset: it behaves the same whether or not
PyYAML is installed (PyYAML is not a runtime dependency), and it refuses
anything outside the subset with the file and line, rather than guess.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime
import json
import logging
import os
import re
import typing
import urllib.parse

from icasdk.exceptions import OpenApiException

log = logging.getLogger(__name__)

ENV_BASE_URL = "ICAV2_BASE_URL"
ENV_ACCESS_TOKEN = "ICAV2_ACCESS_TOKEN"
ENV_API_KEY = "ICAV2_X_API_KEY"
ENV_PROJECT_ID = "ICAV2_PROJECT_ID"

ICAV2_DIR = ".icav2"
SESSION_FILE = ".session.ica.yaml"
CONFIG_FILE = "config.yaml"
API_PATH = "/ica/rest"
DEFAULT_BASE_URL = "https://ica.illumina.com/ica/rest"

MAX_SHOWN_KEY = 40
SHOWN_KEY = re.compile(r"[a-z]+(?:[-_][a-z]+)*")
"""What a key in an icav2 file must look like to be named in an error."""

ARGUMENT = "argument"
DEFAULT = "default"


class SettingsError(OpenApiException, ValueError):
    """A setting or one of the icav2 files cannot be used as it is."""


class CredentialsError(OpenApiException):
    """No credential was found, or the access token has expired."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where the service is, how to sign in, which project; and where each came from.

    ``sources`` maps ``base_url``, ``credential`` and ``project_id`` to the
    argument, environment variable or file they were read from. The repr
    never shows a credential.
    """

    base_url: str
    api_key: typing.Optional[str] = dataclasses.field(default=None, repr=False)
    access_token: typing.Optional[str] = dataclasses.field(default=None, repr=False)
    project_id: typing.Optional[str] = None
    sources: typing.Mapping[str, str] = dataclasses.field(default_factory=dict)

    def check_credentials(self, now: typing.Optional[float] = None) -> None:
        """Raise ``CredentialsError`` if there is none, or the token has expired."""
        if self.api_key:
            return
        if not self.access_token:
            msg = (
                f"no credentials: set {ENV_API_KEY} (an API key) or "
                f"{ENV_ACCESS_TOKEN} (a JWT), or sign in with the icav2 tool "
                f"(which writes ~/{ICAV2_DIR}/{SESSION_FILE})"
            )
            raise CredentialsError(msg)
        check_token_expiry(self.access_token, self.sources.get("credential", ""), now)

    def configuration(self, **settings: typing.Any):
        """An ``icasdk.Configuration`` for these settings, after checking credentials.

        Keyword arguments are further ``Configuration`` settings.
        """
        from icasdk.configuration import Configuration

        self.check_credentials()
        api_key = {"ApiKeyAuth": self.api_key} if self.api_key else None
        token = None if self.api_key else self.access_token
        return Configuration(
            host=self.base_url, api_key=api_key, access_token=token, **settings
        )


def load_settings(
    *,
    base_url: typing.Optional[str] = None,
    api_key: typing.Optional[str] = None,
    access_token: typing.Optional[str] = None,
    project_id: typing.Optional[str] = None,
    environ: typing.Optional[typing.Mapping[str, str]] = None,
    home: typing.Optional[str] = None,
) -> Settings:
    """The settings from arguments, then environment, then icav2 files."""
    env = os.environ if environ is None else environ
    files = _Icav2Files(home)
    sources: typing.Dict[str, str] = {}

    url, sources["base_url"] = _first(
        (base_url, ARGUMENT),
        (_env(env, ENV_BASE_URL), ENV_BASE_URL),
        lambda: (files.config().get("server-url"), files.config_path),
    )
    if url is None:
        url, sources["base_url"] = DEFAULT_BASE_URL, DEFAULT
    url = base_url_from(url, sources["base_url"])

    key, token, sources["credential"] = _credential(
        (api_key, access_token, ARGUMENT),
        (_env(env, ENV_API_KEY), _env(env, ENV_ACCESS_TOKEN), "the environment"),
        lambda: (
            files.config().get("x-api-key"),
            files.session().get("access-token"),
            files.session_path,
        ),
    )
    project, sources["project_id"] = _first(
        (project_id, ARGUMENT),
        (_env(env, ENV_PROJECT_ID), ENV_PROJECT_ID),
        lambda: (files.session().get("project-id"), files.session_path),
    )
    settings = Settings(url, key, token, project, sources)
    log.debug("settings from %s", sources)
    return settings


def _env(env: typing.Mapping[str, str], name: str) -> typing.Optional[str]:
    value = env.get(name, "").strip()
    return value or None


def _first(*places):
    """The first ``(value, source)`` with a value; callables are asked last, lazily."""
    for place in places:
        value, source = place() if callable(place) else place
        if value:
            return value, source
    return None, ""


def _credential(*places):
    """``(api key, token, source)`` from the first place that has either."""
    for place in places:
        key, token, source = place() if callable(place) else place
        if key or token:
            if key and token:
                log.debug("%s has an API key and a token: using the API key", source)
                token = None
            return key, token, source
    return None, None, ""


def base_url_from(value: str, source: str = "") -> str:
    """The API's base URL from a full URL or a bare host (``ica.illumina.com``).

    A bare host, or a URL with no path, gets ``https://`` and ``/ica/rest``.
    """
    text = value.strip()
    if "://" not in text:
        text = "https://" + text
    text = text.rstrip("/")
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018  (raises for a port that is not 0-65535)
    except ValueError as err:
        problem = f" ({err})"
    else:
        problem = ""
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problem = " (an http or https URL, or a host name, is needed)"
    if problem:
        where = f" (from {source})" if source else ""
        shown = _without_userinfo(value)
        msg = f"expected a URL or host name for the ICA server{where}, got {shown!r}"
        raise SettingsError(msg + problem)
    if not parts.path:
        text += API_PATH
    return text


def _without_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` replaced by ``***@``, for messages."""
    scheme, sep, rest = url.rpartition("://")
    authority, slash, path = rest.partition("/")
    if "@" not in authority:
        return url
    return f"{scheme}{sep}***@{authority.rpartition('@')[2]}{slash}{path}"


# --------------------------------------------------------------------------
# Access tokens


def token_expiry(token: str) -> typing.Optional[datetime.datetime]:
    """When a JWT expires (UTC), or None when it is not a JWT or has no ``exp``."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None

    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return None
    try:
        return datetime.datetime.fromtimestamp(exp, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def check_token_expiry(
    token: str, source: str = "", now: typing.Optional[float] = None
) -> None:
    """Raise ``CredentialsError`` when the JWT ``token`` has expired."""
    expiry = token_expiry(token)
    if expiry is None:
        return
    moment = datetime.datetime.now(datetime.timezone.utc)
    if now is not None:
        moment = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    if expiry > moment:
        return

    where = f" from {source}" if source else ""
    when = expiry.strftime("%Y-%m-%d %H:%M:%S UTC")
    msg = (
        f"the access token{where} expired at {when} "
        f"({_ago(moment - expiry)} ago); get a new one (e.g. sign in again with "
        f"the icav2 tool) or set {ENV_API_KEY}"
    )
    raise CredentialsError(msg)


def _ago(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


# --------------------------------------------------------------------------
# The icav2 tool's files


class _Icav2Files:
    """The icav2 files under a home folder, each read at most once, when asked."""

    def __init__(self, home: typing.Optional[str]) -> None:
        folder = os.path.join(home or os.path.expanduser("~"), ICAV2_DIR)
        self.session_path = os.path.join(folder, SESSION_FILE)
        self.config_path = os.path.join(folder, CONFIG_FILE)
        self._read: typing.Dict[str, typing.Dict[str, str]] = {}

    def session(self) -> typing.Dict[str, str]:
        return self._load(self.session_path)

    def config(self) -> typing.Dict[str, str]:
        return self._load(self.config_path)

    def _load(self, path: str) -> typing.Dict[str, str]:
        if path not in self._read:
            exists = os.path.exists(path)
            self._read[path] = read_flat_yaml(path) if exists else {}
            log.debug("%s: %s", path, "read" if exists else "not there")
        return self._read[path]


def read_flat_yaml(path: str) -> typing.Dict[str, str]:
    """A flat ``key: value`` YAML file as a dict of strings.

    Takes comments, blank lines, ``---``, and plain, single- or double-quoted
    values; refuses nesting, lists and anything else with the file and line.
    The files hold credentials, so no error ever quotes a value or a line:
    each names the file, the line and the key (when it looks like one).
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise SettingsError(f"{path}: cannot be read: {err.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        number = data.count(b"\n", 0, err.start) + 1
        msg = f"{path}, line {number}: is not UTF-8 text (the line is not shown)"
        raise SettingsError(msg) from None

    values: typing.Dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        key, sep, value = line.partition(":")
        if line[:1].isspace() or not sep or not key.strip() or key.startswith("-"):
            raise SettingsError(_line_problem(path, number, key if sep else ""))
        values[key.strip()] = _scalar(value.strip(), path, number, key.strip())
    return values


def _line_problem(path: str, number: int, key: str) -> str:
    """Why a line is not a flat ``key: value`` line, naming the key if it is one."""
    where = f"{path}, line {number}"
    shown = _shown_key(key)
    if shown and key[:1].isspace():
        return (
            f"{where}: key {shown} is indented; expected a flat 'key: value' line "
            "starting at the first column (the value is not shown)"
        )
    what = f"key {shown}" if shown else "this line"
    return (
        f"{where}: {what} is not a flat 'key: value' line (nesting, lists and "
        "text without a key are not read; the line is not shown)"
    )


def _shown_key(key: str) -> str:
    """``key`` quoted when it looks like a YAML key, not a piece of a secret; else ''.

    Only lowercase words joined by ``-`` or ``_`` are shown: tokens and keys
    have digits or capitals, so a wrapped credential is never echoed.
    """
    name = key.strip().lstrip("-").strip()
    if len(name) <= MAX_SHOWN_KEY and SHOWN_KEY.fullmatch(name):
        return repr(name)
    return ""


def _scalar(text: str, path: str, number: int, key: str) -> str:
    """A plain or quoted YAML scalar on one line, as a string."""
    shown = _shown_key(key) or "the key"
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = text.rfind(quote)
        rest = text[end + 1 :].strip() if end > 0 else None
        if end <= 0 or (rest and not rest.startswith("#")):
            msg = (
                f"{path}, line {number}: the value of {shown} has an unclosed quote "
                "or text after its closing quote (the value is not shown)"
            )
            raise SettingsError(msg)
        inner = text[1:end]
        return inner.replace("''", "'") if quote == "'" else _unescape(inner)

    if text[:1] in ("[", "{", "|", ">", "&", "*", "!"):
        msg = (
            f"{path}, line {number}: the value of {shown} starts with {text[0]!r}; "
            "expected a plain or quoted value on one line (the value is not shown)"
        )
        raise SettingsError(msg)
    comment = text.find(" #")
    return (text[:comment] if comment >= 0 else text).strip()


def _unescape(text: str) -> str:
    """The common escapes of a double-quoted YAML scalar."""
    if "\\" not in text:
        return text
    escapes = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\t": "\t", "\\/": "/"}
    out, index = [], 0
    while index < len(text):
        pair = text[index : index + 2]
        if pair in escapes:
            out.append(escapes[pair])
            index += 2
        else:
            out.append(text[index])
            index += 1
    return "".join(out)
