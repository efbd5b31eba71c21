"""Importing classic notebook and jupyter_server config files, read but never run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from carnet.auth.passwords import verify
from carnet.errors import ConfigError
from carnet.legacy import LegacyImport, Note, read_legacy_config, to_toml

DATA = Path(__file__).resolve().parent.parent / "data" / "legacy"


def notes_at(result: LegacyImport, line: int) -> list[Note]:
    return [note for note in result.notes if note.line == line]


def one_note(result: LegacyImport, line: int, key: str = "") -> str:
    found = [n for n in notes_at(result, line) if not key or n.key == key]
    assert len(found) == 1, result.notes
    return found[0].message


def test_classic_nbserver_profile() -> None:
    path = DATA / "ipython_notebook_config.py"
    result = read_legacy_config(path)
    assert result.values == {
        "tls.certfile": "/home/ada/.ipython/profile_nbserver/mycert.pem",
        "server.ip": "*",
        "server.open_browser": False,
        "auth.password_hash": "sha1:bcd259ccf6b4:9d6c11a1d4dea487b39e89fc04aec57e2dbdcea4",
        "server.port": 9999,
        "server.base_url": "/ipython/",
        "server.root_dir": "/home/ada/notebooks",
    }
    assert one_note(result, 6, "IPKernelApp.pylab") == "inline plots are the default now"
    assert "kernels are served under base_url" in one_note(result, 18)
    assert "agrees with base_url" in one_note(result, 19, "static_url_prefix")
    assert "replaced by an argon2id hash" in one_note(result, 12)
    assert all(note.file == str(path) for note in result.notes)
    # The imported sha1 hash lets the old password in.
    assert verify(str(result.values["auth.password_hash"]), "nbserver-pass").matched
    assert not verify(str(result.values["auth.password_hash"]), "nbserver").matched


def test_jupyter_notebook_config_with_sha1_password() -> None:
    result = read_legacy_config(DATA / "jupyter_notebook_config.py")
    values = result.values
    assert values["auth.password_hash"] == (
        "sha1:67c9e60bb8b6:8136fc7898d555ae4a3f8d3fbfa2872663a6d14b"
    )
    assert verify(str(values["auth.password_hash"]), "notebook-pass").needs_upgrade
    assert values["tls.certfile"] == "/etc/letsencrypt/live/nb.example.org/fullchain.pem"
    assert values["tls.keyfile"] == "/etc/letsencrypt/live/nb.example.org/privkey.pem"
    assert values["server.root_dir"] == "/srv/notebooks"
    assert values["server.base_url"] == "/jupyter"
    assert values["server.ip"] == "0.0.0.0"
    assert values["server.port"] == 8888
    assert values["contents.allow_hidden"] is True
    assert values["kernels.default_kernel"] == "python3"
    assert "not imported" in one_note(result, 17, "NotebookApp.allow_origin")
    assert "not imported" in one_note(result, 52, "NotebookApp.trust_xheaders")
    static = one_note(result, 45, "static_url_prefix")
    assert "does not agree with base_url '/jupyter'" in static
    assert "/jupyter/static/" in static
    assert "tornado setting" in one_note(result, 45, "NotebookApp.tornado_settings['headers']")
    # Commented-out defaults, like the generated file is full of, say nothing.
    assert not [n for n in result.notes if "log_datefmt" in n.key]
    assert [n.line for n in result.notes] == sorted(n.line or 0 for n in result.notes)


def test_jupyter_server_json_with_argon2_password() -> None:
    result = read_legacy_config(DATA / "jupyter_server_config.json")
    values = result.values
    assert values["server.ip"] == "0.0.0.0"
    assert values["server.port"] == 8890
    assert values["server.open_browser"] is False
    assert values["server.root_dir"] == "/srv/lab"
    assert values["server.base_url"] == "/lab-server/"
    assert values["server.token"] == "a5c1e2b3d4f5061728394a5b6c7d8e9f"
    stored = str(values["auth.password_hash"])
    assert stored.startswith("argon2:$argon2id$")
    check = verify(stored, "lab-pass-2024")
    assert check.matched
    assert check.needs_upgrade
    assert not verify(stored, "lab-pass-2023").matched
    assert "Host header" in one_note(result, 10, "ServerApp.allow_remote_access")
    assert "extensions" in one_note(result, 11, "ServerApp.jpserver_extensions")


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError, match=r"syntax_error_config\.py, line 5: syntax error"):
        read_legacy_config(DATA / "syntax_error_config.py")


def test_values_that_need_running_the_file_are_reported() -> None:
    result = read_legacy_config(DATA / "function_call_config.py")
    assert result.values == {
        "server.port": 8081,
        "server.ip": "localhost",
        "server.open_browser": False,
    }
    call = one_note(result, 5, "NotebookApp.notebook_dir")
    assert "os.path.expanduser('~/notebooks')" in call
    assert "a function call" in call
    assert "server.root_dir" in call
    assert "a variable" in one_note(result, 7, "NotebookApp.certfile")
    assert "f-string" in one_note(result, 8, "NotebookApp.keyfile")
    assert "NotebookApp.port" in one_note(result, 13)
    assert "import that one too" in one_note(result, 16)
    assert "first set on line 9" in one_note(result, 17, "NotebookApp.port")
    assert "import not executed" in one_note(result, 1)


def test_nothing_in_the_file_is_ever_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    config = tmp_path / "jupyter_notebook_config.py"
    config.write_text(
        "c = get_config()\n"
        f"open({str(marker)!r}, 'w').write('top level')\n"
        f"c.NotebookApp.port = __import__('pathlib').Path({str(marker)!r}).write_text('value')\n"
        "def f():\n"
        f"    open({str(marker)!r}, 'w')\n"
        "c.NotebookApp.open_browser = False\n"
    )
    result = read_legacy_config(config)
    assert not marker.exists()
    assert result.values == {"server.open_browser": False}
    assert "a function call" in one_note(result, 3, "NotebookApp.port")
    assert "not executed" in one_note(result, 2)
    assert "functiondef statement not evaluated" in one_note(result, 4)


def write(tmp_path: Path, body: str, name: str = "jupyter_notebook_config.py") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_odd_but_valid_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "config = get_config()\n"
        "config.NotebookApp.port = '8888'\n"
        "config.NotebookApp.password = u''\n"
        "config.NotebookApp.base_url = u'proxy/'\n"
        "config.NotebookApp.token = ''\n"
        "config.ServerApp.hashed_password = 'hunter2'\n"
        "config.NotebookApp.ip = 'local' 'host'\n"
        "config.NotebookApp.port_retries = -(-3)\n"
        "config.NotebookApp.certfile = '/' * 1000000\n",
    )
    result = read_legacy_config(path)
    assert result.values == {
        "server.base_url": "/proxy/",
        "server.token": "",
        "server.ip": "localhost",
        "server.port_retries": 3,
    }
    assert "expected a whole number, not '8888'" in one_note(result, 2)
    assert "no password was set" in one_note(result, 3)
    assert "leading '/'" in one_note(result, 4)
    assert "turns token authentication off" in one_note(result, 5)
    assert "plain password" in one_note(result, 6)
    assert "very large repetition" in one_note(result, 9)


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        read_legacy_config(tmp_path / "jupyter_notebook_config.py")
    with pytest.raises(ConfigError, match=r"expected a \.py or \.json"):
        read_legacy_config(write(tmp_path, "port = 1\n", "config.toml"))
    broken = write(tmp_path, '{\n  "ServerApp": {\n    "port": 88,\n  }\n}\n', "cfg.json")
    with pytest.raises(ConfigError, match=r"cfg\.json, line 4: invalid JSON"):
        read_legacy_config(broken)
    with pytest.raises(ConfigError, match="JSON object"):
        read_legacy_config(write(tmp_path, "[1, 2]", "list.json"))


def test_to_toml_groups_by_section_and_round_trips() -> None:
    result = read_legacy_config(DATA / "jupyter_notebook_config.py")
    text = to_toml(result.values)
    assert text.index("[server]") < text.index("[auth]") < text.index("[tls]")
    parsed = tomllib.loads(text)
    flat = {f"{section}.{name}": v for section, body in parsed.items() for name, v in body.items()}
    assert flat == result.values


def test_to_toml_escapes_strings() -> None:
    tricky = 'C:\\Users\\ada\\"nb"\n\ttab \x01 \x7f ünïcode ✓ 𝄞'
    text = to_toml({"server.root_dir": tricky, "server.port": 0, "odd key.x y": True})
    parsed = tomllib.loads(text)
    assert parsed["server"]["root_dir"] == tricky
    assert parsed["server"]["port"] == 0
    assert parsed["odd key"]["x y"] is True
    with pytest.raises(ConfigError, match="cannot write"):
        to_toml({"server.port": 1.5})
    with pytest.raises(ConfigError, match="no section"):
        to_toml({"port": 1})


def test_every_odd_statement_becomes_a_note(tmp_path: Path) -> None:
    lines = [
        "c = get_config()",
        "c.NotebookApp.port = 1 / 0",
        "c.NotebookApp = 1",
        "c.NotebookApp.port: int = 8888",
        "c.NotebookApp.port += 1",
        "x, y = 1, 2",
        "c.NotebookApp.tornado_settings['headers'] = {}",
        "c.NotebookApp.ip = (lambda: '*')()",
        "del x",
        "c.NotebookApp.tornado_settings = {[1]: 2}",
        "c.NotebookApp.base_url = '%s/' % 'nb'",
        "c.NotebookApp.open_browser = False",
    ]
    result = read_legacy_config(write(tmp_path, "\n".join(lines) + "\n"))
    assert result.values == {"server.open_browser": False}
    noted = {note.line for note in result.notes}
    assert noted == set(range(2, 12))
    assert "fails" in one_note(result, 2)
    assert "port" in one_note(result, 4)
    assert "string formatting" in one_note(result, 11)
