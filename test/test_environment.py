"""Tests for icasdk.environment: arguments, then environment, then icav2 files."""

from __future__ import annotations

import base64
import json
import time

import pytest

from icasdk.environment import (
    DEFAULT_BASE_URL,
    CredentialsError,
    SettingsError,
    base_url_from,
    load_settings,
    read_flat_yaml,
    token_expiry,
)

ENV_NAMES = (
    "ICAV2_BASE_URL",
    "ICAV2_ACCESS_TOKEN",
    "ICAV2_X_API_KEY",
    "ICAV2_PROJECT_ID",
)


def jwt(exp) -> str:
    """An unsigned JWT whose payload has ``exp``."""

    def part(obj) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part({'exp': exp, 'sub': 'me'})}.sig"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty home folder, and no ICAV2_* variables."""
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def write_icav2(home, session: str = "", config: str = "") -> None:
    folder = home / ".icav2"
    folder.mkdir(exist_ok=True)
    if session:
        (folder / ".session.ica.yaml").write_text(session)
    if config:
        (folder / "config.yaml").write_text(config)


FUTURE = jwt(time.time() + 3600)
PAST = jwt(time.time() - 7200)


# -- precedence -------------------------------------------------------------------


def test_with_nothing_set_the_public_service_is_the_default(home):
    """No argument, variable or file: the public URL, no credential, no project."""
    settings = load_settings()
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.api_key is settings.access_token is settings.project_id is None
    with pytest.raises(CredentialsError, match="no credentials: set ICAV2_X_API_KEY"):
        settings.configuration()


def test_the_icav2_files_are_read_when_nothing_else_is_set(home):
    """Token and project from the session file; a bare host from config.yaml."""
    write_icav2(
        home,
        session=f"access-token: {FUTURE}\nproject-id: proj-1\n",
        config="server-url: ica.example.com\ncolormode: none\n",
    )
    settings = load_settings()
    assert settings.base_url == "https://ica.example.com/ica/rest"
    assert settings.access_token == FUTURE
    assert settings.project_id == "proj-1"
    assert settings.sources["project_id"].endswith(".session.ica.yaml")
    configuration = settings.configuration()
    assert configuration.host == "https://ica.example.com/ica/rest"
    assert configuration.access_token == FUTURE


def test_the_environment_wins_over_the_files(home, monkeypatch):
    """ICAV2_* variables beat the icav2 files."""
    write_icav2(
        home,
        session=f"access-token: {FUTURE}\nproject-id: from-file\n",
        config="server-url: file.example.com\n",
    )
    monkeypatch.setenv("ICAV2_BASE_URL", "https://env.example.com/ica/rest")
    monkeypatch.setenv("ICAV2_PROJECT_ID", "from-env")
    monkeypatch.setenv("ICAV2_X_API_KEY", "env-key")
    settings = load_settings()
    assert settings.base_url == "https://env.example.com/ica/rest"
    assert settings.project_id == "from-env"
    assert (settings.api_key, settings.access_token) == ("env-key", None)
    assert settings.sources["credential"] == "the environment"


def test_arguments_win_over_the_environment(home, monkeypatch):
    """Explicit arguments beat the variables, the credential taken as a whole."""
    monkeypatch.setenv("ICAV2_BASE_URL", "https://env.example.com/ica/rest")
    monkeypatch.setenv("ICAV2_PROJECT_ID", "from-env")
    monkeypatch.setenv("ICAV2_ACCESS_TOKEN", FUTURE)
    settings = load_settings(
        base_url="http://127.0.0.1:9/ica/rest", api_key="arg-key", project_id="arg"
    )
    assert settings.base_url == "http://127.0.0.1:9/ica/rest"
    assert settings.project_id == "arg"
    assert (settings.api_key, settings.access_token) == ("arg-key", None)
    configuration = settings.configuration()
    assert configuration.api_key == {"ApiKeyAuth": "arg-key"}
    assert configuration.access_token is None


def test_an_api_key_in_the_files_is_used_when_there_is_no_token(home):
    """config.yaml's x-api-key is a credential of the file level."""
    write_icav2(home, config="server-url: ica.illumina.com\nx-api-key: file-key\n")
    settings = load_settings()
    assert settings.api_key == "file-key"
    assert settings.base_url == DEFAULT_BASE_URL


def test_the_files_are_not_read_when_everything_is_given(home, monkeypatch):
    """A broken icav2 file does not matter when the environment has it all."""
    write_icav2(home, session="access-token:\n  nested: yes\n")
    monkeypatch.setenv("ICAV2_BASE_URL", "https://env.example.com/ica/rest")
    monkeypatch.setenv("ICAV2_PROJECT_ID", "p")
    monkeypatch.setenv("ICAV2_X_API_KEY", "k")
    assert load_settings().api_key == "k"


def test_an_explicit_environment_mapping_and_home_can_be_given(tmp_path):
    """environ= and home= replace os.environ and ~ (for embedding and tests)."""
    write_icav2(tmp_path, session="project-id: p-file\n")
    settings = load_settings(environ={"ICAV2_X_API_KEY": "k"}, home=str(tmp_path))
    assert (settings.api_key, settings.project_id) == ("k", "p-file")


def test_the_repr_never_shows_a_credential(home):
    """Neither key nor token appears in the repr."""
    settings = load_settings(api_key="secret-key", access_token=FUTURE)
    assert "secret-key" not in repr(settings) and FUTURE not in repr(settings)


# -- expired tokens -------------------------------------------------------------


def test_an_expired_token_is_refused_before_any_call(home, monkeypatch):
    """An access token past its exp gives a clear error naming where it came from."""
    monkeypatch.setenv("ICAV2_ACCESS_TOKEN", PAST)
    settings = load_settings()
    with pytest.raises(CredentialsError) as caught:
        settings.configuration()
    message = str(caught.value)
    assert "access token from the environment expired at" in message
    assert "(2 hours ago)" in message
    assert PAST not in message


def test_an_expired_token_in_the_session_file_is_refused(home):
    """The session file's token is checked too."""
    write_icav2(home, session=f"access-token: '{PAST}'\n")
    with pytest.raises(CredentialsError, match=r"\.session\.ica\.yaml expired"):
        load_settings().check_credentials()


def test_an_expired_token_is_not_rescued_by_a_key_further_down(home, monkeypatch):
    """The environment's expired token wins over the files' key, and is refused."""
    write_icav2(home, config="x-api-key: file-key\n")
    monkeypatch.setenv("ICAV2_ACCESS_TOKEN", PAST)
    with pytest.raises(CredentialsError, match="expired"):
        load_settings().check_credentials()


def test_token_expiry_reads_exp_and_ignores_what_is_not_a_jwt():
    """A JWT's exp is read; opaque tokens and odd payloads have no expiry."""
    assert token_expiry(jwt(0)).year == 1970
    assert token_expiry("opaque-token") is None
    assert token_expiry("a.!!!.c") is None
    assert token_expiry(jwt("soon")) is None
    assert token_expiry("a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c") is None


def test_a_valid_token_passes(home):
    """A token whose exp is in the future is used."""
    assert load_settings(access_token=FUTURE).configuration().access_token == FUTURE


# -- URLs and YAML --------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, expected",
    [
        ("ica.illumina.com", "https://ica.illumina.com/ica/rest"),
        ("ica.illumina.com/", "https://ica.illumina.com/ica/rest"),
        ("https://eu.ica.example.com", "https://eu.ica.example.com/ica/rest"),
        ("http://127.0.0.1:8080/ica/rest/", "http://127.0.0.1:8080/ica/rest"),
        ("localhost:8080", "https://localhost:8080/ica/rest"),
    ],
)
def test_server_urls_and_bare_hosts_become_the_api_url(given, expected):
    """A bare host gets https:// and /ica/rest; a full URL is kept."""
    assert base_url_from(given) == expected


def test_a_url_that_is_not_http_is_refused():
    """ftp:// is not a server the client can talk to."""
    with pytest.raises(SettingsError, match="from ICAV2_BASE_URL"):
        base_url_from("ftp://example.com", "ICAV2_BASE_URL")


def test_the_flat_yaml_reader_takes_the_icav2_shapes(tmp_path):
    """Comments, ---, quotes, colons in values and trailing comments are read."""
    path = tmp_path / "c.yaml"
    path.write_text(
        "---\n# icav2\n"
        "server-url: https://ica.illumina.com:443  # the host\n"
        "access-token: 'it''s'\n"
        'project-id: "a\\"b"\n'
        "empty:\n"
    )
    assert read_flat_yaml(str(path)) == {
        "server-url": "https://ica.illumina.com:443",
        "access-token": "it's",
        "project-id": 'a"b',
        "empty": "",
    }


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: b\nnested:\n  key: value\n", 3),
        ("- item\n", 1),
        ("just text\n", 1),
        ("a: [1, 2]\n", 1),
        ("a: 'open\n", 1),
    ],
)
def test_the_flat_yaml_reader_refuses_anything_else_with_its_line(tmp_path, text, line):
    """Nesting, lists, flow values and broken quotes are refused by file and line."""
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=f"c.yaml, line {line}: "):
        read_flat_yaml(str(path))


SECRET = "Sup3rSecretKeyValue42"


@pytest.mark.parametrize(
    "text, line, key",
    [
        (f"server-url: ica.illumina.com\n  x-api-key: {SECRET}\n", 2, "'x-api-key'"),
        (f'x-api-key: "{SECRET}\n', 1, "'x-api-key'"),
        (f"x-api-key: '{SECRET}' trailing\n", 1, "'x-api-key'"),
        (f"x-api-key: [{SECRET}]\n", 1, "'x-api-key'"),
        (f"access-token: abc\n  {SECRET}\n", 2, "this line"),
        (f"- x-api-key: {SECRET}\n", 1, "'x-api-key'"),
        (f"{SECRET}: [value]\n", 1, "the value of the key"),
        (f"  {SECRET}: value\n", 1, "this line"),
    ],
)
def test_a_malformed_line_is_named_by_file_line_and_key_never_by_value(
    tmp_path, text, line, key
):
    """Every refusal names the file, the line and a safe key; never the secret."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError) as caught:
        read_flat_yaml(str(path))
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert key in message
    assert SECRET not in message and SECRET[:8] not in message


def test_a_file_that_is_not_utf8_is_refused_without_its_bytes(tmp_path):
    """Undecodable bytes are reported by line, not echoed."""
    path = tmp_path / "config.yaml"
    path.write_bytes(b"server-url: x\nx-api-key: caf\xe9" + SECRET.encode() + b"\n")
    with pytest.raises(SettingsError, match=r"config.yaml, line 2: is not UTF-8") as e:
        read_flat_yaml(str(path))
    assert SECRET not in str(e.value) and "\\xe9" not in str(e.value)


def test_a_leaking_config_line_through_load_settings_names_only_the_key(home):
    """The error load_settings raises for a broken config.yaml holds no secret."""
    write_icav2(home, config=f"server-url: ica.illumina.com\n  x-api-key: {SECRET}\n")
    with pytest.raises(SettingsError, match="key 'x-api-key' is indented") as caught:
        load_settings()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "url", ["http://[::1", "http://host:99999", "http://host:abc", "https://"]
)
def test_a_url_that_cannot_be_parsed_is_a_settings_error(url):
    """Broken brackets, ports and empty hosts are SettingsErrors, not ValueErrors."""
    with pytest.raises(SettingsError, match="expected a URL or host name"):
        base_url_from(url, "--base-url")


def test_a_password_in_a_refused_url_is_not_shown():
    """user:password@ is hidden in the message about a URL."""
    with pytest.raises(SettingsError) as caught:
        base_url_from("https://me:hunter2@host:99999/x")
    assert "hunter2" not in str(caught.value) and "***@host" in str(caught.value)
