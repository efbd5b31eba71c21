"""The settings tree: precedence, conversion, refusal of unsafe or impossible values."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from carnet.cli import build_parser, cli_values
from carnet.errors import ConfigError
from carnet.settings import Secret, all_settings, load_settings, normalized_base_url


def test_defaults_listen_on_loopback_port_8888() -> None:
    s = load_settings({}, env={})
    assert s.server.ip == "127.0.0.1"
    assert s.server.port == 8888
    assert s.server.token is None
    assert s.sources["server.port"] == "default"


def test_precedence_is_cli_then_env_then_file(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text('[server]\nport = 9000\nbase_url = "/file/"\nip = "127.0.0.2"\n')
    env = {"CARNET_PORT": "9100", "CARNET_BASE_URL": "/env/"}
    s = load_settings({"server.port": "9200"}, env=env, config_file=cfg)
    assert s.server.port == 9200
    assert s.server.base_url == "/env/"
    assert s.server.ip == "127.0.0.2"
    assert s.sources["server.port"] == "command line"
    assert s.sources["server.base_url"] == "environment CARNET_BASE_URL"
    assert s.sources["server.ip"].startswith("config file")


def test_token_from_environment_is_a_masked_secret() -> None:
    s = load_settings({}, env={"CARNET_TOKEN": "s3cret-token-value"})
    assert isinstance(s.server.token, Secret)
    assert "s3cret" not in repr(s)
    assert s.server.token.matches("s3cret-token-value")
    assert not s.server.token.matches("s3cret-token-valuX")


@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"server.port": "http"}, "server.port must be a int"),
        ({"server.port": "70000"}, "between 0 and 65535"),
        ({"server.base_url": "nope"}, "must start with '/'"),
        ({"server.ip": "0.0.0.0", "server.token": ""}, "without authentication"),
        ({"contents.store": "s3"}, "must be one of file, memory"),
        ({"server.token": "short"}, "at least 8 characters"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(cli: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(cli, env={})


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text("[server]\nprot = 1\n")
    with pytest.raises(ConfigError, match=r"unknown setting server\.prot"):
        load_settings({}, env={}, config_file=cfg)


def test_syntax_error_in_file_names_the_file(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text("[server\n")
    with pytest.raises(ConfigError, match=re.escape(str(cfg))):
        load_settings({}, env={}, config_file=cfg)


def test_every_setting_has_help() -> None:
    for spec in all_settings():
        assert spec.help.strip().endswith("."), spec.key


def test_command_line_flags_map_to_settings() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "nbdir",
            "--ip",
            "*",
            "--port",
            "0",
            "--no-browser",
            "--token",
            "abcdefgh1",
            "--behind-proxy",
        ]
    )
    values = cli_values(args)
    assert values == {
        "server.root_dir": "nbdir",
        "server.ip": "*",
        "server.port": "0",
        "server.open_browser": False,
        "server.token": "abcdefgh1",
        "auth.behind_proxy": True,
    }
    s = load_settings(values, env={})
    assert s.server.listens_everywhere
    assert s.server.bind_address == ""


@pytest.mark.parametrize(
    ("given", "expected"), [("/", "/"), ("/ipython", "/ipython/"), ("/a/b/", "/a/b/")]
)
def test_base_url_is_normalised(given: str, expected: str) -> None:
    assert normalized_base_url(given) == expected
