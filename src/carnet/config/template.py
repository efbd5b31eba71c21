"""The commented config file ``carnet config init`` writes: every setting, its default, its help."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from carnet.config.edit import toml_string
from carnet.settings import SECTIONS, Secret, SettingSpec, all_settings

_SECTION_HELP = {
    "server": "Where and how the server listens.",
    "contents": "The files carnet serves.",
    "kernels": "Jupyter kernels.",
    "notify": "Telling you when the machine's external address changes ('carnet notify').",
    "auth": "Logins: password, second factor, sessions, throttling, allowed host names.",
    "tls": "HTTPS ('carnet cert' makes a self-signed certificate).",
}


def toml_literal(value: Any) -> str:
    """A default value written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(toml_literal(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _entry(spec: SettingSpec) -> list[str]:
    lines = [f"# {line}" for line in textwrap.wrap(spec.help, 88)]
    where = [f"env {spec.env}"]
    if spec.cli:
        where.insert(0, f"flag {spec.flag}")
    if spec.choices:
        where.append("one of " + ", ".join(spec.choices))
    lines.append(f"# ({'; '.join(where)})")
    if spec.default is None:
        kind = "secret" if spec.type == (Secret | None) else "string"
        lines.append(f'# {spec.name} = "..."   (a {kind}; not set by default)')
    else:
        lines.append(f"# {spec.name} = {toml_literal(spec.default)}")
    return lines


def render_config() -> str:
    """The full commented TOML file: each setting commented out at its default."""
    out = [
        "# carnet configuration file.",
        "#",
        "# Every setting is listed with its default, commented out: remove the '#' in front",
        "# of a setting to change it. Precedence: command line > CARNET_* environment",
        "# variables > this file > defaults. 'carnet config show' prints the effective value",
        "# of every setting and where it came from.",
    ]
    specs = all_settings()
    for section in SECTIONS:
        out += ["", f"[{section}]"]
        if section in _SECTION_HELP:
            out.append(f"# {_SECTION_HELP[section]}")
        for spec in (s for s in specs if s.section == section):
            out.append("")
            out += _entry(spec)
    return "\n".join(out) + "\n"
