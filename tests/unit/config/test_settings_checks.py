"""Settings refused at load time: unsafe exposure, bad files, unknown names."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from carnet.auth.passwords import hash_password
from carnet.errors import ConfigError
from carnet.settings import load_settings

PUBLIC = {"server.ip": "0.0.0.0"}


@pytest.mark.parametrize(
    ("cli", "names"),
    [
        ({**PUBLIC, "server.token": ""}, ["without authentication", "carnet password"]),
        ({"server.ip": "192.168.1.20", "server.token": ""}, ["192.168.1.20", "carnet password"]),
        (PUBLIC, ["plain HTTP", "tls.mode", "--tls auto", "carnet cert", "--behind-proxy"]),
        ({"server.ip": "nb.example.org"}, ["plain HTTP", "--behind-proxy"]),
        ({"tls.mode": "on"}, ["tls.certfile", "carnet cert"]),
        ({"tls.certfile": "/x/cert.pem"}, ["tls.mode", "--tls on"]),
    ],
)
def test_unsafe_settings_are_refused_with_the_fix(cli: dict[str, Any], names: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(cli, env={})
    for name in names:
        assert name in info.value.message


@pytest.mark.parametrize(
    "cli",
    [
        {**PUBLIC, "auth.behind_proxy": True},
        {**PUBLIC, "tls.mode": "auto"},
        {**PUBLIC, "tls.mode": "on", "tls.certfile": "/x/c.pem", "tls.keyfile": "/x/k.pem"},
        {"server.ip": "::1", "server.token": ""},
        {"server.ip": "localhost", "server.token": ""},
    ],
)
def test_safe_settings_load(cli: dict[str, Any]) -> None:
    load_settings(cli, env={})


def test_password_alone_authenticates_a_public_server() -> None:
    env = {"CARNET_AUTH_PASSWORD_HASH": hash_password("pw"), "CARNET_TLS_MODE": "auto"}
    s = load_settings({**PUBLIC, "server.token": ""}, env=env)
    assert s.auth.password_hash is not None
    assert "pw" not in repr(s)


def test_behind_proxy_flag_and_env() -> None:
    from carnet.cli import build_parser, cli_values

    args = build_parser().parse_args(["serve", "--ip", "*", "--behind-proxy", "--tls", "off"])
    s = load_settings(cli_values(args), env={})
    assert s.auth.behind_proxy
    assert not s.tls.enabled
    assert load_settings(PUBLIC, env={"CARNET_AUTH_BEHIND_PROXY": "yes"}).auth.behind_proxy


def test_malformed_password_hash_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"auth\.password_hash: .*carnet password"):
        load_settings({}, env={"CARNET_AUTH_PASSWORD_HASH": "hunter2"})


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text('[server]\nport = 8888\n\n[auth]\npublic_url = "https://x\n')
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={}, config_file=cfg)
    assert re.match(
        rf"{re.escape(str(cfg))}, line 5, column \d+: TOML syntax error", str(info.value)
    )


@pytest.mark.parametrize(
    ("body", "suggestion"),
    [
        ("[server]\nprot = 1\n", "did you mean server.port?"),
        ("[auth]\npasswd = 'x'\n", "did you mean auth.password_hash?"),
        ("[server]\npassword_hash = 'x'\n", "did you mean auth.password_hash?"),
        ("[tls]\ncert_file = 'x'\n", "did you mean tls.certfile?"),
        ("[sever]\nport = 1\n", "did you mean server?"),
    ],
)
def test_unknown_setting_suggests_the_closest(tmp_path: Path, body: str, suggestion: str) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text(body)
    with pytest.raises(ConfigError, match=re.escape(suggestion)):
        load_settings({}, env={}, config_file=cfg)


def test_unknown_setting_without_a_close_name_suggests_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text("[server]\nxyzzy = 1\n")
    with pytest.raises(ConfigError) as info:
        load_settings({}, env={}, config_file=cfg)
    assert "did you mean" not in info.value.message
