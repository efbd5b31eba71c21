"""Read the config files of the classic notebook and jupyter_server, without running them.

``ipython_notebook_config.py``, ``jupyter_notebook_config.py``, ``jupyter_server_config.py``
and their ``.json`` forms are parsed (Python with :mod:`ast`, never executed) into carnet
setting keys. Everything that is not carried over is reported as a :class:`Note` with its
file and line: settings carnet has no use for (and why), and values that could only be
known by running the file (a function call, a variable).
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carnet.errors import ConfigError

_APPS = ("NotebookApp", "ServerApp")
_TRAITS = {
    "password": "auth.password_hash",
    "hashed_password": "auth.password_hash",
    "certfile": "tls.certfile",
    "keyfile": "tls.keyfile",
    "ip": "server.ip",
    "port": "server.port",
    "port_retries": "server.port_retries",
    "open_browser": "server.open_browser",
    "base_url": "server.base_url",
    "base_project_url": "server.base_url",
    "notebook_dir": "server.root_dir",
    "root_dir": "server.root_dir",
    "token": "server.token",
}
# (class, trait) -> carnet key
MAPPING: dict[tuple[str, str], str] = {
    **{(app, trait): key for app in _APPS for trait, key in _TRAITS.items()},
    ("NotebookManager", "notebook_dir"): "server.root_dir",
    ("FileNotebookManager", "notebook_dir"): "server.root_dir",
    ("FileContentsManager", "root_dir"): "server.root_dir",
    ("ContentsManager", "root_dir"): "server.root_dir",
    ("IdentityProvider", "hashed_password"): "auth.password_hash",
    ("PasswordIdentityProvider", "hashed_password"): "auth.password_hash",
    ("IdentityProvider", "token"): "server.token",
    ("ContentsManager", "allow_hidden"): "contents.allow_hidden",
    ("FileContentsManager", "allow_hidden"): "contents.allow_hidden",
    ("MappingKernelManager", "default_kernel_name"): "kernels.default_kernel",
    ("KernelManager", "autorestart"): "kernels.restart_dead",
}
_TYPES: dict[str, type] = {
    "server.port": int,
    "server.port_retries": int,
    "server.open_browser": bool,
    "contents.allow_hidden": bool,
    "kernels.restart_dead": bool,
}
# Why a known setting is not carried over; "*" matches any class or any trait.
REASONS: dict[str, str] = {
    "IPKernelApp.pylab": "inline plots are the default now",
    "IPKernelApp.matplotlib": "inline plots are the default now",
    "InlineBackend.*": "plot settings belong to the kernel's own config, not the server's",
    "*.base_kernel_url": "kernels are served under base_url",
    "*.password_required": "carnet always requires a password or token off loopback",
    "*.disable_check_xsrf": "XSRF protection cannot be turned off in carnet",
    "*.allow_remote_access": "carnet checks the Host header against its own allow-list",
    "*.ssl_options": "carnet chooses TLS options itself (TLS 1.2 or newer)",
    **{
        f"*.{trait}": "Jupyter server extensions are not loaded by carnet"
        for trait in ("nbserver_extensions", "jpserver_extensions", "server_extensions")
    },
    **{
        f"*.{kind}_manager_class": "carnet's services are built in and cannot be replaced"
        for kind in ("kernel", "contents", "session")
    },
}
_TORNADO = ("webapp_settings", "tornado_settings")


@dataclass(frozen=True)
class Note:
    """Something in a legacy file that was not imported as it stands, and why."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.key + ': ' if self.key else ''}{self.message}"


@dataclass
class LegacyImport:
    """The carnet settings found in a legacy file, and notes on everything else."""

    values: dict[str, object] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)


class _Unevaluable(Exception):
    def __init__(self, node: ast.AST, kind: str) -> None:
        super().__init__(kind)
        self.node = node
        self.kind = kind


_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_KINDS: dict[type[ast.AST], str] = {
    ast.Call: "a function call",
    ast.Name: "a variable",
    ast.Attribute: "an attribute",
    ast.Subscript: "a subscript",
    ast.FormattedValue: "an f-string placeholder",
}


def _eval(node: ast.AST) -> Any:
    """The value of a literal or a simple expression of literals; nothing is executed."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(_eval(part)) for part in node.values)
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = [_eval(elt) for elt in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict):
        keys = [_eval(k) if k is not None else _unpacking(node) for k in node.keys]
        try:
            return dict(zip(keys, [_eval(v) for v in node.values], strict=True))
        except TypeError:  # an unhashable key
            raise _Unevaluable(node, "an expression that fails") from None
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub | ast.UAdd) and isinstance(operand, int | float):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Mod) and not isinstance(left, int | float):
            raise _Unevaluable(node, "string formatting")
        if isinstance(node.op, ast.Mult):
            seq, count = (left, right) if isinstance(right, int) else (right, left)
            sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
            if sized and len(seq) * count > 100_000:
                raise _Unevaluable(node, "a very large repetition")
        try:
            return _BINOPS[type(node.op)](left, right)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            raise _Unevaluable(node, "an expression that fails") from None
    raise _Unevaluable(node, _KINDS.get(type(node), "an expression"))


def _unpacking(node: ast.AST) -> Any:
    raise _Unevaluable(node, "a dictionary unpacking")


def _reason(section: str, trait: str) -> str:
    for pattern in (f"{section}.{trait}", f"{section}.*", f"*.{trait}"):
        if pattern in REASONS:
            return REASONS[pattern]
    return "no carnet equivalent; not imported"


class _Reader:
    def __init__(self, path: Path) -> None:
        self.file = str(path)
        self.result = LegacyImport()
        self.lines: dict[str, int | None] = {}
        self.static_prefix: tuple[str, int | None] | None = None

    def note(self, line: int | None, key: str, message: str) -> None:
        self.result.notes.append(Note(self.file, line, key, message))

    def setting(self, section: str, trait: str, value: Any, line: int | None) -> None:
        """One ``c.Section.trait = value``, evaluated."""
        name = f"{section}.{trait}"
        if trait in _TORNADO and section in _APPS:
            self._tornado(name, value, line)
            return
        key = MAPPING.get((section, trait))
        if key is None:
            self.note(line, name, _reason(section, trait))
            return
        wanted = _TYPES.get(key, str)
        if type(value) is not wanted:
            kind = {int: "a whole number", bool: "True or False"}.get(wanted, "a string")
            self.note(line, name, f"expected {kind}, not {value!r}; not imported")
            return
        if key == "auth.password_hash" and not self._password(name, str(value), line):
            return
        if key == "server.base_url" and isinstance(value, str) and not value.startswith("/"):
            value = "/" + value
            self.note(line, name, f"carnet needs a leading '/': imported as {value!r}")
        if key == "server.token" and value == "":
            self.note(line, name, "an empty token turns token authentication off")
        if key in self.result.values:
            earlier = self.lines[key]
            self.note(line, name, f"sets {key} again (first set on line {earlier}); this one wins")
        self.result.values[key] = value
        self.lines[key] = line

    def _password(self, name: str, value: str, line: int | None) -> bool:
        from carnet.auth.passwords import hash_scheme

        if not value:
            self.note(line, name, "empty: no password was set; not imported")
            return False
        try:
            scheme = hash_scheme(value)
        except ConfigError as exc:
            self.note(line, name, f"{exc.message}; not imported")
            return False
        if scheme != "argon2id":
            label = "jupyter_server 'argon2:'" if scheme == "jupyter-argon2" else scheme
            self.note(
                line,
                name,
                f"a {label} hash: accepted, and replaced by an argon2id hash "
                "at the first successful login",
            )
        return True

    def _tornado(self, name: str, value: Any, line: int | None) -> None:
        if not isinstance(value, dict):
            self.note(line, name, f"expected a dictionary, not {value!r}; not imported")
            return
        for option, option_value in value.items():
            if option == "static_url_prefix" and isinstance(option_value, str):
                self.static_prefix = (option_value, line)
            else:
                self.note(line, f"{name}[{option!r}]", "tornado setting not imported")

    def finish(self) -> LegacyImport:
        if self.static_prefix is not None:
            prefix, line = self.static_prefix
            base = str(self.result.values.get("server.base_url", "/"))
            expected = "/" + base.strip("/") + "/static/" if base.strip("/") else "/static/"
            given = "/" + prefix.strip("/") + "/"
            if given == expected:
                message = f"agrees with base_url; carnet derives {expected} from it"
            else:
                message = (
                    f"{prefix!r} does not agree with base_url {base!r}: carnet serves static "
                    f"files under {expected}; not imported"
                )
            self.note(line, "static_url_prefix", message)
        self.result.notes.sort(key=lambda note: note.line or 0)
        return self.result


def _config_target(target: ast.expr, config_names: set[str]) -> tuple[str, str] | None:
    """``c.Section.trait`` -> ("Section", "trait")."""
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Attribute)
        and isinstance(target.value.value, ast.Name)
        and target.value.value.id in config_names
    ):
        return target.value.attr, target.attr
    return None


def _is_get_config(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_config"
        and not node.args
    )


def _read_python(reader: _Reader, source: bytes) -> None:
    try:
        tree = ast.parse(source, filename=reader.file)
    except SyntaxError as exc:
        raise ConfigError(f"{reader.file}, line {exc.lineno}: syntax error: {exc.msg}") from exc
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError) as exc:
        raise ConfigError(f"{reader.file}: not a readable Python file ({exc})") from exc
    text = source.decode("utf-8", errors="replace")
    config_names = {"c"}
    for stmt in tree.body:
        line = stmt.lineno
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring or a bare string
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            reader.note(line, "", "import not executed (config files are read, never run)")
            continue
        if isinstance(stmt, ast.Assign):
            value_node = stmt.value
            for target in stmt.targets:
                if isinstance(target, ast.Name) and _is_get_config(value_node):
                    config_names.add(target.id)
                    continue
                found = _config_target(target, config_names)
                if found is None:
                    what = ast.get_source_segment(text, target) or "?"
                    reader.note(line, "", f"assignment to {what} not evaluated (never run)")
                    continue
                section, trait = found
                try:
                    value = _eval(value_node)
                except _Unevaluable as exc:
                    source_text = ast.get_source_segment(text, value_node) or "?"
                    key = MAPPING.get((section, trait))
                    hint = f"; set {key} by hand" if key else ""
                    reader.note(
                        exc.node.lineno if hasattr(exc.node, "lineno") else line,
                        f"{section}.{trait}",
                        f"could not evaluate {source_text!r} without running the file "
                        f"({exc.kind}){hint}",
                    )
                    continue
                reader.setting(section, trait, value, line)
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = ast.get_source_segment(text, stmt.value) or "?"
            if isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "load_subconfig":
                reader.note(line, "", f"{call} loads another file: import that one too")
            else:
                reader.note(line, "", f"{call} not executed (a function call)")
            continue
        inside = sorted(
            {
                f"{t[0]}.{t[1]}"
                for node in ast.walk(stmt)
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign)
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if (t := _config_target(target, config_names)) is not None
            }
        )
        kind = type(stmt).__name__.lower()
        detail = f"; settings in it not imported: {', '.join(inside)}" if inside else ""
        reader.note(line, "", f"{kind} statement not evaluated{detail}")


def _read_json(reader: _Reader, source: bytes) -> None:
    try:
        text = source.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{reader.file}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{reader.file}, line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{reader.file}: expected a JSON object of config sections")
    for section, traits in data.items():
        start = text.find(f'"{section}"')
        if not isinstance(traits, dict):
            reader.note(_line_of(text, start), section, "expected an object; not imported")
            continue
        for trait, value in traits.items():
            line = _line_of(text, text.find(f'"{trait}"', max(start, 0)))
            reader.setting(section, trait, value, line)


def _line_of(text: str, index: int) -> int | None:
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def read_legacy_config(path: str | Path) -> LegacyImport:
    """Parse a legacy Jupyter/IPython config file (``.py`` or ``.json``) into carnet keys.

    Raises :class:`ConfigError` for a file that cannot be read or parsed, naming the file
    and, for a syntax error, the line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".py", ".json"):
        raise ConfigError(f"{path}: expected a .py or .json Jupyter config file")
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    reader = _Reader(path)
    if suffix == ".py":
        _read_python(reader, source)
    else:
        _read_json(reader, source)
    return reader.finish()


_SECTION_ORDER = ("server", "auth", "tls", "contents", "kernels")


def _toml_string(text: str) -> str:
    # JSON's string escapes are all valid in TOML basic strings; TOML also forbids raw DEL.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007F")


def _toml_key(key: str) -> str:
    bare = key and all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in key)
    return key if bare else _toml_string(key)


def _toml_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    raise ConfigError(f"cannot write {key} = {value!r} to TOML (only strings, integers, booleans)")


def to_toml(values: dict[str, object]) -> str:
    """A TOML document with one ``[section]`` per key prefix (``server.port`` -> ``[server]``)."""
    sections: dict[str, list[tuple[str, object]]] = {}
    for key, value in values.items():
        section, _, name = key.partition(".")
        if not name:
            raise ConfigError(f"setting key {key!r} has no section")
        sections.setdefault(section, []).append((name, value))
    order = [s for s in _SECTION_ORDER if s in sections]
    order += sorted(s for s in sections if s not in _SECTION_ORDER)
    blocks = []
    for section in order:
        lines = [f"[{_toml_key(section)}]"]
        for name, value in sections[section]:
            lines.append(f"{_toml_key(name)} = {_toml_value(f'{section}.{name}', value)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)
