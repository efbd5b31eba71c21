"""``carnet config``, ``carnet profile``, ``carnet password`` and ``carnet totp``, run for real."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from carnet.auth.passwords import verify
from carnet.cli import main
from carnet.config.files import resolve_config_file
from carnet.settings import SECTIONS, all_settings, load_settings

DATA = Path(__file__).resolve().parent.parent.parent / "data" / "legacy"


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config directory; returns carnet's config dir inside it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for name in list(os.environ):
        if name.startswith("CARNET_"):
            monkeypatch.delenv(name)
    return tmp_path / "config" / "carnet"


def carnet(
    *args: str, stdin: str = "", env_home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARNET_")}
    if env_home is not None:
        env["XDG_CONFIG_HOME"] = str(env_home)
    return subprocess.run(
        [sys.executable, "-m", "carnet", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_config_init_documents_every_setting(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "init"]) == 0
    path = xdg / "carnet.toml"
    assert str(path) in capsys.readouterr().out
    text = path.read_text()
    assert tomllib.loads(text) == {section: {} for section in SECTIONS}
    for spec in all_settings():
        assert f"# {spec.name} = " in text, spec.key
        assert spec.env in text
        assert spec.help.split()[0] in text
    assert "# port = 8888" in text
    assert '# mode = "off"' in text
    # Uncommenting any default gives a file that loads to the same settings.
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and " = " in line and "..." not in line else line
        for line in text.splitlines()
    )
    path.write_text(uncommented)
    assert load_settings({}, env={}, config_file=path) == load_settings({}, env={})
    assert main(["config", "init"]) == 2  # refuses to overwrite
    assert "--force" in capsys.readouterr().err
    assert main(["config", "init", "--force"]) == 0


JUPYTER_ARGON2 = (
    "argon2:$argon2id$v=19$m=10240,t=10,p=8$q0oa09AyaojhnTzWdWRTBA"
    "$LucWR9z0Wph30MZgZW+I7mm2Mj7014ElXv3dzowBQ1c"
)
EXPECTED = {
    "ipython_notebook_config.py": """
[server]
ip = "*"
open_browser = false
port = 9999
base_url = "/ipython/"
root_dir = "/home/ada/notebooks"

[auth]
password_hash = "sha1:bcd259ccf6b4:9d6c11a1d4dea487b39e89fc04aec57e2dbdcea4"

[tls]
certfile = "/home/ada/.ipython/profile_nbserver/mycert.pem"
mode = "on"
""",
    "jupyter_notebook_config.py": """
[server]
base_url = "/jupyter"
ip = "0.0.0.0"
root_dir = "/srv/notebooks"
open_browser = false
port = 8888

[auth]
password_hash = "sha1:67c9e60bb8b6:8136fc7898d555ae4a3f8d3fbfa2872663a6d14b"

[tls]
certfile = "/etc/letsencrypt/live/nb.example.org/fullchain.pem"
keyfile = "/etc/letsencrypt/live/nb.example.org/privkey.pem"
mode = "on"

[contents]
allow_hidden = true

[kernels]
default_kernel = "python3"
""",
    "jupyter_server_config.json": f"""
[server]
ip = "0.0.0.0"
port = 8890
open_browser = false
root_dir = "/srv/lab"
base_url = "/lab-server/"
token = "a5c1e2b3d4f5061728394a5b6c7d8e9f"

[auth]
password_hash = "{JUPYTER_ARGON2}"

[tls]
certfile = "/etc/ssl/lab/cert.pem"
keyfile = "/etc/ssl/lab/key.pem"
mode = "on"
""",
    "function_call_config.py": """
[server]
port = 8081
ip = "localhost"
open_browser = false
""",
}


def test_config_import_of_each_legacy_file(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, expected in EXPECTED.items():
        source = DATA / name
        assert main(["config", "import", str(source), "--force"]) == 0, name
        out = capsys.readouterr().out
        path = xdg / "carnet.toml"
        text = path.read_text()
        assert text == f"# Imported by 'carnet config import' from {source}.\n{expected}", name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # Every note is printed, with its file and line.
        _, _, notes = resolve_config_file(source)
        assert notes, name
        assert all(f"note: {n}" in out for n in notes), name
        # The written file loads as carnet settings.
        load_settings({}, env={}, config_file=path, check=False)


def test_config_import_refuses_to_overwrite_and_reports_syntax_errors(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "import", str(DATA / "function_call_config.py")]) == 0
    assert main(["config", "import", str(DATA / "jupyter_server_config.json")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["config", "import", str(DATA / "syntax_error_config.py"), "--force"]) == 2
    err = capsys.readouterr().err
    assert "syntax_error_config.py, line 5: syntax error" in err
    assert "port = 8081" in (xdg / "carnet.toml").read_text()  # left as it was


def test_config_show_masks_secrets_and_names_sources(
    xdg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    xdg.mkdir(parents=True)
    (xdg / "carnet.toml").write_text(
        '[server]\nport = 9000\ntoken = "file-token-secret"\n[auth]\nsession_days = 3\n'
    )
    monkeypatch.setenv("CARNET_BASE_URL", "/env/")
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    path = xdg / "carnet.toml"
    assert f"server.port = 9000  # config file {path}" in out
    assert f'server.token = "****"  # config file {path}' in out
    assert 'server.base_url = "/env/"  # environment CARNET_BASE_URL' in out
    assert "auth.session_days = 3.0  # config file" in out
    assert 'server.ip = "127.0.0.1"  # default' in out
    assert "file-token-secret" not in out
    assert len([line for line in out.splitlines() if " = " in line]) == len(all_settings())


def test_config_show_of_a_legacy_file_prints_notes_and_the_refusal(
    xdg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = DATA / "ipython_notebook_config.py"
    assert main(["config", "show", "--config", str(source)]) == 0
    out = capsys.readouterr().out
    assert f"note: {source}:6: IPKernelApp.pylab: inline plots are the default now" in out
    assert f"server.port = 9999  # config file {source}" in out
    assert 'auth.password_hash = "****"' in out


def test_profiles(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "create", "nbserver"]) == 0
    assert main(["profile", "create", "lab"]) == 0
    assert main(["profile", "create", "../escape"]) == 2
    assert "invalid profile name" in capsys.readouterr().err
    assert main(["profile", "list"]) == 0
    assert capsys.readouterr().out.split() == ["lab", "nbserver"]
    profile = xdg / "profiles" / "lab.toml"
    profile.write_text("[server]\nport = 7000\n")
    path, values, notes = resolve_config_file(profile="lab")
    assert (path, values, notes) == (profile, {"server.port": 7000}, [])
    s = load_settings({}, env={}, config_file=path, file_values=values)
    assert s.server.port == 7000
    assert s.sources["server.port"] == f"config file {profile}"


def test_config_resolution_order(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_config_file() == (None, {}, [])  # no default file: defaults
    xdg.mkdir(parents=True)
    (xdg / "carnet.toml").write_text("[server]\nport = 1000\n")
    assert resolve_config_file()[1] == {"server.port": 1000}
    other = xdg / "other.toml"
    other.write_text("[server]\nport = 2000\n")
    assert resolve_config_file(other)[1] == {"server.port": 2000}
    monkeypatch.setenv("CARNET_CONFIG", str(other))
    assert resolve_config_file()[1] == {"server.port": 2000}
    monkeypatch.delenv("CARNET_CONFIG")
    monkeypatch.setenv("CARNET_PROFILE", "missing")
    with pytest.raises(Exception, match="carnet profile create missing"):
        resolve_config_file()
    with pytest.raises(Exception, match="not both"):
        resolve_config_file(other, "lab")


def test_serve_reads_a_legacy_file_with_warnings(tmp_path: Path) -> None:
    # A legacy file that carnet refuses to serve (public, no TLS): the notes come first.
    legacy = tmp_path / "jupyter_notebook_config.py"
    legacy.write_text("c = get_config()\nc.NotebookApp.ip = '*'\nc.NotebookApp.mathjax_url = 'x'\n")
    proc = carnet("serve", str(tmp_path), "--config", str(legacy), "--port", "0", env_home=tmp_path)
    assert proc.returncode == 2
    assert f"{legacy}:3: NotebookApp.mathjax_url: no carnet equivalent; not imported" in proc.stderr
    assert "refusing plain HTTP" in proc.stderr
    assert "--behind-proxy" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_serve_names_file_and_line_of_a_syntax_error(tmp_path: Path) -> None:
    cfg = tmp_path / "carnet.toml"
    cfg.write_text("[server]\nport = 8888\nopen_browser = nope\n")
    proc = carnet("serve", str(tmp_path), "--config", str(cfg), env_home=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"carnet: {cfg}, line 3, column")
    assert proc.stderr.count("\n") == 1


def test_password_stdin_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    home = tmp_path / "config"
    cfg = home / "carnet" / "carnet.toml"
    cfg.parent.mkdir(parents=True)
    original = "# my settings\n[server]\nport = 9000  # fixed\n\n[auth]\nsession_days = 2\n"
    cfg.write_text(original)
    proc = carnet("password", "--stdin", stdin="s3cret pass\n", env_home=home)
    assert proc.returncode == 0, proc.stderr
    assert f"stored in {cfg}" in proc.stdout
    text = cfg.read_text()
    stored = tomllib.loads(text)["auth"]["password_hash"]
    assert stored.startswith("$argon2id$")
    assert verify(stored, "s3cret pass").matched
    assert not verify(stored, "s3cret").matched
    assert text.replace(f'password_hash = "{stored}"\n', "") == original
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    # Again: the one line is replaced, not added twice.
    assert carnet("password", "--stdin", stdin="other\n", env_home=home).returncode == 0
    assert cfg.read_text().count("password_hash") == 1


def test_password_errors_are_one_line(tmp_path: Path) -> None:
    proc = carnet("password", "--stdin", stdin="\n", env_home=tmp_path)
    assert (proc.returncode, proc.stderr) == (2, "carnet: refusing an empty password\n")
    proc = carnet("password", "--stdin", "--profile", "nope", stdin="x\n", env_home=tmp_path)
    assert proc.returncode == 2
    assert "carnet profile create nope" in proc.stderr
    legacy = DATA / "jupyter_notebook_config.py"
    proc = carnet("password", "--stdin", "--config", str(legacy), stdin="x\n", env_home=tmp_path)
    assert proc.returncode == 2
    assert "carnet config import" in proc.stderr


def test_password_into_a_profile(
    xdg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    assert main(["profile", "create", "lab"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("lab-pass\n"))
    assert main(["password", "--stdin", "--profile", "lab"]) == 0
    profile = xdg / "profiles" / "lab.toml"
    stored = tomllib.loads(profile.read_text())["auth"]["password_hash"]
    assert verify(stored, "lab-pass").matched
    assert not (xdg / "carnet.toml").exists()


def test_totp_enable_and_disable(
    xdg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from carnet.auth.totp import TotpVerifier, decode_secret, totp

    assert main(["totp", "enable"]) == 2
    assert "carnet password" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw-for-totp\n"))
    assert main(["password", "--stdin"]) == 0
    capsys.readouterr()
    assert main(["totp", "enable", "--account", "ada@lab"]) == 0
    out = capsys.readouterr().out
    secret = tomllib.loads((xdg / "carnet.toml").read_text())["auth"]["totp_secret"]
    assert f"otpauth://totp/carnet:ada@lab?secret={secret}&issuer=carnet" in out
    assert "\u2580" in out or "\u2584" in out  # the QR code
    code = totp(decode_secret(secret), 1_700_000_000)
    assert TotpVerifier(secret, clock=lambda: 1_700_000_000).verify(code)
    s = load_settings({}, env={}, config_file=xdg / "carnet.toml")
    assert s.auth.totp_secret is not None
    assert s.auth.password_hash is not None
    assert main(["totp", "disable"]) == 0
    data = tomllib.loads((xdg / "carnet.toml").read_text())
    assert "totp_secret" not in data["auth"]
    assert "password_hash" in data["auth"]


def test_serve_with_a_missing_profile_says_how_to_create_it(tmp_path: Path) -> None:
    proc = carnet("serve", str(tmp_path), "--profile", "nope", env_home=tmp_path)
    assert proc.returncode == 2
    assert "carnet profile create nope" in proc.stderr
