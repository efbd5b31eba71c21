"""One frozen, typed settings tree, and the only reader of env vars and config files.

Every setting is declared once, as a dataclass field with its type, default and
help. The same declaration drives the command-line flags (``carnet.cli``), the
``CARNET_*`` environment variables and the TOML config file sections. Values are
loaded once, with this precedence: command line > environment > config file >
defaults. ``Settings.sources`` records where each effective value came from.

A setting's key is ``section.name`` (``server.port``). Its environment variable
is ``CARNET_`` + the key in capitals with dots as underscores, except in the
``server`` section, whose variables drop the section (``CARNET_PORT``,
``CARNET_TOKEN``). In a config file it is ``name`` under ``[section]``.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

from carnet.errors import ConfigError


class Secret:
    """A secret string: masked in ``repr``/``str``, compared in constant time."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def matches(self, presented: str) -> bool:
        """True when ``presented`` equals the secret (constant-time comparison)."""
        return hmac.compare_digest(presented.encode(), self._value.encode())

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(
            self._value.encode(), other._value.encode()
        )

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))


def setting(
    default: Any,
    help: str,
    *,
    cli: bool = True,
    choices: tuple[str, ...] = (),
    flag: str | None = None,
) -> Any:
    """Declare one setting: its default, its help text and its command-line flag, if any."""
    return field(
        default=default,
        metadata={"help": help, "cli": cli, "choices": choices, "flag": flag},
    )


ALL_INTERFACES = ("*", "0.0.0.0", "::", "")


@dataclass(frozen=True)
class ServerSettings:
    root_dir: str = setting(".", "Directory served as the root of the file tree.", cli=False)
    ip: str = setting("127.0.0.1", "Address to listen on; '*' or '0.0.0.0' means every interface.")
    port: int = setting(8888, "Port to listen on; 0 picks a free one.")
    port_retries: int = setting(50, "How many following ports to try when the port is taken.")
    token: Secret | None = setting(
        None, "Token for API clients and the first browser login (default: random)."
    )
    open_browser: bool = setting(
        True,
        "Open a browser at startup (only when bound to loopback and one exists).",
        flag="browser",
    )
    base_url: str = setting("/", "URL prefix for every page, API call and WebSocket.")
    max_body_mb: int = setting(
        512, "Largest request body accepted, in MiB (uploads larger go in chunks)."
    )
    shutdown_timeout: float = setting(
        10.0, "Seconds to wait for kernels and open work on shutdown.", cli=False
    )

    @property
    def listens_everywhere(self) -> bool:
        return self.ip in ALL_INTERFACES

    @property
    def bind_address(self) -> str:
        return "" if self.listens_everywhere else self.ip


@dataclass(frozen=True)
class ContentsSettings:
    store: str = setting(
        "file",
        "Where files live: 'file' (the root directory) or 'memory'.",
        choices=("file", "memory"),
    )
    allow_hidden: bool = setting(False, "Show and serve hidden files (names starting with '.').")
    checkpoints_kept: int = setting(5, "How many checkpoints to keep per file.", cli=False)
    checkpoint_dir: str = setting(
        ".ipynb_checkpoints",
        "Checkpoint folder, relative to each file's directory.",
        cli=False,
    )


@dataclass(frozen=True)
class KernelsSettings:
    default_kernel: str = setting(
        "python3", "Kernel spec used when a client does not name one.", cli=False
    )
    startup_timeout: float = setting(
        60.0, "Seconds a kernel may take to answer its first kernel_info request.", cli=False
    )
    restart_dead: bool = setting(True, "Restart a kernel that dies on its own.", cli=False)
    reconnect_window: float = setting(
        600.0,
        "Seconds a disconnected WebSocket session's messages are kept for it to reconnect.",
        cli=False,
    )
    keep_on_exit: bool = setting(
        False,
        "On a graceful stop, leave kernels running for the next start to take over.",
        flag="keep-kernels",
    )


@dataclass(frozen=True)
class NotifySettings:
    interval_minutes: float = setting(
        10.0, "Minutes between two checks of the external address.", cli=False
    )
    ipv4: bool = setting(True, "Watch the external IPv4 address.", cli=False)
    ipv6: bool = setting(False, "Watch the external IPv6 address.", cli=False)
    echo_ipv4: tuple[str, ...] = setting(
        ("https://api.ipify.org", "https://ipv4.icanhazip.com", "https://v4.ident.me"),
        "Services that answer with the caller's IPv4 address, tried in order.",
        cli=False,
    )
    echo_ipv6: tuple[str, ...] = setting(
        ("https://api6.ipify.org", "https://ipv6.icanhazip.com", "https://v6.ident.me"),
        "Services that answer with the caller's IPv6 address, tried in order.",
        cli=False,
    )
    timeout: float = setting(
        10.0, "Seconds allowed for one echo request, webhook call or SMTP exchange.", cli=False
    )
    retries: int = setting(
        2, "Rounds through the echo list to retry after the first one fails.", cli=False
    )
    backoff: float = setting(
        5.0, "Seconds to wait before the first retry; doubled before each next one.", cli=False
    )
    public_port: int = setting(
        0,
        "Port to put in the URL when the router forwards a different one (0: the server's).",
        cli=False,
    )
    state_dir: str = setting(
        "", "Where the last known address is kept (default: $XDG_STATE_HOME/carnet).", cli=False
    )
    ca_file: str = setting(
        "", "Extra CA certificates (PEM) to trust for the SMTP server and HTTPS URLs.", cli=False
    )
    smtp_host: str = setting("", "SMTP server that sends the email (empty: no email).", cli=False)
    smtp_port: int = setting(
        0, "SMTP port (0: 587 for starttls, 465 for tls, 25 for none).", cli=False
    )
    smtp_security: str = setting(
        "starttls",
        "How the SMTP connection is encrypted.",
        cli=False,
        choices=("starttls", "tls", "none"),
    )
    smtp_user: str = setting("", "SMTP login name (empty: no login).", cli=False)
    smtp_password: Secret | None = setting(
        None, "SMTP password: only from the environment (CARNET_NOTIFY_SMTP_PASSWORD).", cli=False
    )
    smtp_password_file: str = setting(
        "", "File holding the SMTP password; must be readable by its owner only.", cli=False
    )
    smtp_from: str = setting("", "Sender address of the email (default: smtp_user).", cli=False)
    smtp_to: tuple[str, ...] = setting((), "Recipients of the email.", cli=False)
    webhook_url: str = setting(
        "", "URL that receives an HTTP POST of JSON (empty: no webhook).", cli=False
    )
    webhook_token: Secret | None = setting(
        None,
        "Webhook bearer token: only from the environment (CARNET_NOTIFY_WEBHOOK_TOKEN).",
        cli=False,
    )
    webhook_token_file: str = setting(
        "", "File holding the webhook token; must be readable by its owner only.", cli=False
    )
    webhook_topic: str = setting(
        "",
        "Value of the 'topic' field of the webhook JSON (ntfy-style pushers need it).",
        cli=False,
    )

    @property
    def configured(self) -> bool:
        """True when at least one channel is set up, so the address is watched."""
        return bool(self.smtp_host or self.webhook_url)


@dataclass(frozen=True)
class AuthSettings:
    password_hash: Secret | None = setting(
        None, "Password hash for browser logins; set it with 'carnet password'.", cli=False
    )
    totp_secret: Secret | None = setting(
        None, "TOTP second-factor secret; set it with 'carnet totp enable'.", cli=False
    )
    session_days: float = setting(
        14.0, "Days a browser login lasts without being used (each use extends it).", cli=False
    )
    cookie_name: str = setting("carnet-session", "Name of the login cookie.", cli=False)
    throttle_free_attempts: int = setting(
        5, "Failed logins allowed from one address before delays start.", cli=False
    )
    throttle_base_delay: float = setting(
        1.0, "Seconds of the first delay; each further failure doubles it.", cli=False
    )
    throttle_max_delay: float = setting(
        300.0, "Longest delay, in seconds, imposed on one address.", cli=False
    )
    throttle_max_addresses: int = setting(
        10000, "How many client addresses the throttle remembers at most.", cli=False
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "Host names the server answers to when public ('*.example.org' for subdomains).",
    )
    public_url: str = setting(
        "", "The address users type (https://nb.example.org/), when it is not the bind address."
    )
    behind_proxy: bool = setting(
        False,
        "A TLS-terminating proxy is in front: allow plain HTTP off loopback and trust its "
        "forwarded headers.",
    )
    trusted_proxies: tuple[str, ...] = setting(
        ("127.0.0.1", "::1"),
        "Addresses whose X-Forwarded-* headers are trusted when behind_proxy is on.",
        cli=False,
    )


@dataclass(frozen=True)
class TlsSettings:
    mode: str = setting(
        "off",
        "'on': HTTPS with certfile and keyfile; 'auto': HTTPS with certfile and keyfile when "
        "set, else with a self-signed certificate kept in carnet's config directory; 'off': "
        "plain HTTP.",
        choices=("off", "auto", "on"),
        flag="tls",
    )
    certfile: str = setting("", "Certificate file (PEM, leaf first).")
    keyfile: str = setting(
        "", "Private key file (PEM); empty when the key is in the certificate file."
    )
    reload_interval: float = setting(
        5.0, "Seconds between two checks for a renewed certificate.", cli=False
    )

    @property
    def enabled(self) -> bool:
        """True when the server speaks HTTPS."""
        return self.mode != "off"


@dataclass(frozen=True)
class DocumentsSettings:
    state_dir: str = setting(
        "",
        "Where open notebooks keep their edit log and output journal "
        "(default: $XDG_STATE_HOME/carnet/documents).",
        cli=False,
    )
    autosave_delay: float = setting(
        2.0, "Seconds after a change (at most) before the notebook file is written.", cli=False
    )
    fsync_interval: float = setting(
        0.5, "Seconds within which recorded outputs are fsynced to the journal.", cli=False
    )
    view_bytes: int = setting(
        64 * 1024, "Bytes of the head and of the tail of a big output sent to clients.", cli=False
    )
    live_bytes: int = setting(
        1024 * 1024,
        "Bytes of one output streamed to a client live before the rest is left to fetch.",
        cli=False,
    )
    watch_interval: float = setting(
        1.0, "Seconds between two checks of an open notebook's file for outside changes.", cli=False
    )
    close_after: float = setting(
        60.0,
        "Seconds a notebook stays open on the server once no client is on and nothing runs.",
        cli=False,
    )


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    contents: ContentsSettings = field(default_factory=ContentsSettings)
    kernels: KernelsSettings = field(default_factory=KernelsSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    documents: DocumentsSettings = field(default_factory=DocumentsSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def root(self) -> Path:
        return Path(self.server.root_dir).expanduser().resolve()


SECTIONS: dict[str, type[Any]] = {
    "server": ServerSettings,
    "contents": ContentsSettings,
    "kernels": KernelsSettings,
    "notify": NotifySettings,
    "auth": AuthSettings,
    "tls": TlsSettings,
    "documents": DocumentsSettings,
}


@dataclass(frozen=True)
class SettingSpec:
    section: str
    name: str
    type: Any
    default: Any
    help: str
    cli: bool
    choices: tuple[str, ...]
    flag_name: str | None = None

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def env(self) -> str:
        if self.section == "server":
            return f"CARNET_{self.name.upper()}"
        return f"CARNET_{self.section.upper()}_{self.name.upper()}"

    @property
    def flag(self) -> str:
        return "--" + (self.flag_name or self.name).replace("_", "-")


def all_settings() -> list[SettingSpec]:
    """Every declared setting, in declaration order."""
    specs = []
    for section, cls in SECTIONS.items():
        hints = get_type_hints(cls, globalns={"Secret": Secret})
        for f in dataclasses.fields(cls):
            specs.append(
                SettingSpec(
                    section=section,
                    name=f.name,
                    type=hints[f.name],
                    default=f.default,
                    help=f.metadata["help"],
                    cli=f.metadata["cli"],
                    choices=f.metadata["choices"],
                    flag_name=f.metadata["flag"],
                )
            )
    return specs


def _convert(spec: SettingSpec, value: Any, origin: str) -> Any:
    """Turn a raw value (a string from env/CLI, or a TOML value) into the setting's type."""
    t = spec.type
    optional = t == (Secret | None) or t == (str | None)
    if value is None:
        if optional:
            return None
        raise ConfigError(f"{spec.key} needs a value ({origin})")
    try:
        if t is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if t is int:
            if isinstance(value, bool):
                raise ValueError(value)
            return int(value)
        if t is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if t == tuple[str, ...]:
            # A TOML array in the file; comma-separated in the environment or on the command line.
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError(value)
            return tuple(i.strip() for i in items if i.strip())
        if t == (Secret | None):
            if not isinstance(value, str):
                raise ValueError(value)
            return Secret(value)
        if not isinstance(value, str):
            raise ValueError(value)
        if spec.choices and value not in spec.choices:
            raise ConfigError(
                f"{spec.key} must be one of {', '.join(spec.choices)}, not {value!r} ({origin})"
            )
        return value
    except (TypeError, ValueError):
        kind = getattr(t, "__name__", "string")
        raise ConfigError(f"{spec.key} must be a {kind}, not {value!r} ({origin})") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML config file into ``{key: value}``; unknown keys are errors."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, exc)) from exc
    known = [s.key for s in all_settings()]
    values: dict[str, Any] = {}
    for section, body in data.items():
        if section not in SECTIONS or not isinstance(body, dict):
            hint = _closest(section, list(SECTIONS))
            raise ConfigError(f"{path}: unknown section [{section}]{hint}")
        for name, value in body.items():
            key = f"{section}.{name}"
            if key not in known:
                raise ConfigError(f"{path}: unknown setting {key}{_closest(key, known)}")
            values[key] = value
    return values


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError) -> str:
    """``FILE, line N: what is wrong`` from tomllib's ``what (at line N, column M)``."""
    text = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", text)
    if match is None:
        return f"{path}: TOML syntax error: {text}"
    what = text[: match.start()]
    return f"{path}, line {match.group(1)}, column {match.group(2)}: TOML syntax error: {what}"


def _closest(name: str, candidates: list[str]) -> str:
    """`` (did you mean X?)`` for the nearest candidate, or nothing.

    Keys are compared by their name part (sections share long prefixes that would make
    every key look close), looking in the same section first.
    """
    import difflib  # only needed for this error message

    section, _, tail = name.rpartition(".")
    same = [c for c in candidates if c.rpartition(".")[0] == section]
    for pool in (same, candidates):
        by_tail = {c.rpartition(".")[2]: c for c in reversed(pool)}
        near = difflib.get_close_matches(tail, list(by_tail), n=1, cutoff=0.6)
        if near:
            return f" (did you mean {by_tail[near[0]]}?)"
    return ""


def load_settings(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    *,
    file_values: Mapping[str, Any] | None = None,
    check: bool = True,
) -> Settings:
    """Build the settings tree from every source (see the module docstring).

    ``cli`` maps setting keys (``server.port``) to values given on the command line.
    ``file_values``, when given, are the config file's values already read (a legacy
    file mapped by ``carnet.config``); ``config_file`` then only names their source.
    ``check=False`` skips the refusal of unsafe values (for ``carnet config show``).
    """
    cli = cli or {}
    env = os.environ if env is None else env
    if file_values is None:
        file_values = read_config_file(config_file) if config_file is not None else {}
    sections: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    sources: dict[str, str] = {}
    for spec in all_settings():
        if spec.key in cli:
            value = _convert(spec, cli[spec.key], f"command line {spec.flag}")
            sources[spec.key] = "command line"
        elif spec.env in env:
            value = _convert(spec, env[spec.env], f"environment {spec.env}")
            sources[spec.key] = f"environment {spec.env}"
        elif spec.key in file_values:
            value = _convert(spec, file_values[spec.key], f"config file {config_file}")
            sources[spec.key] = f"config file {config_file}"
        else:
            value = spec.default
            sources[spec.key] = "default"
        sections[spec.section][spec.name] = value
    settings = Settings(
        **{name: cls(**sections[name]) for name, cls in SECTIONS.items()},
        sources=sources,
    )
    if check:
        _check(settings)
    return settings


def check_settings(settings: Settings) -> None:
    """Raise :class:`ConfigError` for settings that cannot work or would be unsafe."""
    _check(settings)


def _check(settings: Settings) -> None:
    """Refuse values that cannot work, naming the setting."""
    server = settings.server
    if not 0 <= server.port <= 65535:
        raise ConfigError(f"server.port must be between 0 and 65535, not {server.port}")
    if server.port_retries < 0:
        raise ConfigError("server.port_retries must not be negative")
    if not server.base_url.startswith("/"):
        raise ConfigError(f"server.base_url must start with '/', not {server.base_url!r}")
    if server.token is not None and len(server.token.reveal()) < 8 and server.token.reveal():
        raise ConfigError("server.token must be at least 8 characters (or empty to disable)")
    _check_exposure(settings)
    if settings.contents.checkpoints_kept < 1:
        raise ConfigError("contents.checkpoints_kept must be at least 1")
    if server.max_body_mb < 1:
        raise ConfigError("server.max_body_mb must be at least 1")
    _check_notify(settings)
    _check_auth(settings)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    host = host.strip().strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _check_exposure(settings: Settings) -> None:
    """Off loopback: authentication always, and TLS unless a proxy terminates it."""
    server, auth = settings.server, settings.auth
    if is_loopback(server.ip):
        return
    where = "every interface" if server.listens_everywhere else server.ip
    token_off = server.token is not None and not server.token.reveal()
    has_password = auth.password_hash is not None and bool(auth.password_hash.reveal())
    if token_off and not has_password:
        raise ConfigError(
            f"refusing to listen on {where} (server.ip) without authentication: "
            "set a password with 'carnet password', or keep server.token set (drop --token '')"
        )
    if not settings.tls.enabled and not auth.behind_proxy:
        raise ConfigError(
            f"refusing plain HTTP on {where} (server.ip): turn on TLS (tls.mode) with "
            "'--tls auto' for a self-signed certificate, or 'carnet cert' / your own "
            "certificate in tls.certfile and tls.keyfile with '--tls on'; or, when a "
            "TLS-terminating proxy is in front, say so with '--behind-proxy' (auth.behind_proxy)"
        )


def _check_auth(settings: Settings) -> None:
    auth, tls = settings.auth, settings.tls
    if auth.password_hash is not None and auth.password_hash.reveal():
        from carnet.auth.passwords import hash_scheme

        try:
            hash_scheme(auth.password_hash.reveal())
        except ConfigError as exc:
            raise ConfigError(
                f"auth.password_hash: {exc.message}; set it with 'carnet password'"
            ) from None
    if auth.session_days <= 0:
        raise ConfigError("auth.session_days must be positive")
    if auth.throttle_free_attempts < 0 or auth.throttle_max_addresses < 1:
        raise ConfigError(
            "auth.throttle_free_attempts must not be negative and "
            "auth.throttle_max_addresses must be at least 1"
        )
    if not 0 < auth.throttle_base_delay <= auth.throttle_max_delay:
        raise ConfigError(
            "auth.throttle_base_delay must be positive and at most auth.throttle_max_delay"
        )
    if not re.fullmatch(r"[A-Za-z0-9_-]+", auth.cookie_name):
        raise ConfigError(
            f"auth.cookie_name may hold letters, digits, '-' and '_' only, not {auth.cookie_name!r}"
        )
    if auth.public_url and not re.match(r"https?://[^/?#]+", auth.public_url):
        raise ConfigError(
            f"auth.public_url must be an http:// or https:// URL, not {auth.public_url!r}"
        )
    if tls.mode == "on" and not tls.certfile:
        raise ConfigError(
            "tls.mode is 'on' but tls.certfile is not set: make one with 'carnet cert' and "
            "set tls.certfile and tls.keyfile, or use '--tls auto'"
        )
    if tls.mode == "off" and (tls.certfile or tls.keyfile):
        raise ConfigError(
            "tls.certfile or tls.keyfile is set but tls.mode is 'off': "
            "set tls.mode = 'on' (or '--tls on') to serve HTTPS, or remove them"
        )
    if tls.keyfile and not tls.certfile:
        raise ConfigError("tls.keyfile is set without tls.certfile")
    if tls.reload_interval <= 0:
        raise ConfigError("tls.reload_interval must be positive")


def _check_notify(settings: Settings) -> None:
    notify = settings.notify
    for key in ("notify.smtp_password", "notify.webhook_token"):
        if settings.sources.get(key, "").startswith("config file"):
            raise ConfigError(
                f"{key} must not be written in a config file: set it in the environment "
                f"(CARNET_{key.replace('.', '_').upper()}) or put it in {key}_file"
            )
    if notify.interval_minutes <= 0 or notify.timeout <= 0:
        raise ConfigError("notify.interval_minutes and notify.timeout must be positive")
    if notify.retries < 0 or notify.backoff < 0:
        raise ConfigError("notify.retries and notify.backoff must not be negative")
    for key, port in (
        ("notify.smtp_port", notify.smtp_port),
        ("notify.public_port", notify.public_port),
    ):
        if not 0 <= port <= 65535:
            raise ConfigError(f"{key} must be between 0 and 65535, not {port}")


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """carnet's state directory: ``$XDG_STATE_HOME/carnet``, else ``~/.local/state/carnet``."""
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(base) / "carnet"


def default_config_dir(env: Mapping[str, str] | None = None) -> Path:
    """carnet's config directory: ``$XDG_CONFIG_HOME/carnet``, else ``~/.config/carnet``."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(base) / "carnet"


def with_token(settings: Settings) -> Settings:
    """Give the settings a random token when none was configured."""
    if settings.server.token is not None:
        return settings
    server = dataclasses.replace(settings.server, token=Secret(secrets.token_hex(24)))
    return dataclasses.replace(settings, server=server)


def normalized_base_url(base_url: str) -> str:
    """``/ipython`` and ``/ipython/`` both become ``/ipython/``."""
    base = "/" + base_url.strip("/")
    return base if base.endswith("/") else base + "/"
