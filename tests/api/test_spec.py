"""``/api/spec.yaml``: the API description is served, parses, and documents every API route."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from typing import Any, cast

import httpx
import yaml

from carnet.web import routes as routes_module
from tests.conftest import RunningServer

NAMED_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*)\)")
WORDS = re.compile(r"\w+(?:\|\w+)+")


def templates(pattern: str) -> list[str]:
    """The OpenAPI path templates a route pattern stands for.

    ``(?P<x>a|b)`` becomes the two literal paths; any other named group becomes ``{x}``.
    Anything left that still looks like a regular expression fails the conversion, so a
    route written in a new form is noticed rather than silently skipped.
    """
    text = pattern.replace(routes_module.PATH, "/{path}")
    choices: list[list[str]] = []

    def group(m: re.Match[str]) -> str:
        name, body = m.group(1), m.group(2)
        if WORDS.fullmatch(body):
            choices.append(body.split("|"))
            return "\0"
        return "{" + name + "}"

    text = NAMED_GROUP.sub(group, text)
    text = text.removesuffix("/?").replace(r"\.", ".")
    assert not re.search(r"[\\()?*+\[\]|^$]", text), f"cannot read route pattern {pattern!r}"
    paths = [text]
    for options in choices:
        paths = [p.replace("\0", option, 1) for p in paths for option in options]
    return ["/" + p for p in paths]


def served_routes() -> set[str]:
    """Every URL template of ``carnet.web.routes``, for a server at ``/``."""
    # The table only carries the services to the handlers; none are needed to read it.
    table = routes_module.routes(cast(Any, None), "/")
    return {t for pattern, _handler, _kwargs in table for t in templates(pattern[1:])}


def test_route_patterns_convert_to_templates() -> None:
    assert templates("api/?") == ["/api"]
    assert templates(r"api/spec\.yaml") == ["/api/spec.yaml"]
    assert templates("api/contents" + routes_module.PATH + "/checkpoints") == [
        "/api/contents/{path}/checkpoints"
    ]
    assert templates(r"api/kernels/(?P<kernel_id>[^/]+)/(?P<action>interrupt|restart)/?") == [
        "/api/kernels/{kernel_id}/interrupt",
        "/api/kernels/{kernel_id}/restart",
    ]


def _spec(server: RunningServer) -> dict[str, Any]:
    with server.client() as c:
        r = c.get("api/spec.yaml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/x-yaml")
    spec = yaml.safe_load(r.text)
    assert isinstance(spec, dict)
    return spec


def test_spec_documents_every_api_route(server: RunningServer) -> None:
    spec = _spec(server)
    assert spec["swagger"] == "2.0"
    assert spec["info"]["version"] == "5"
    api_routes = {t for t in served_routes() if t == "/api" or t.startswith("/api/")}
    # The URLs that existing Jupyter clients rely on must be among them.
    assert {
        "/api",
        "/api/contents/{path}",
        "/api/contents/{path}/checkpoints/{checkpoint_id}",
        "/api/kernels/{kernel_id}/channels",
        "/api/kernels/{kernel_id}/restart",
        "/api/sessions/{session_id}",
    } <= api_routes
    missing = api_routes - set(spec["paths"])
    assert not missing, f"routes without documentation in api.yaml: {sorted(missing)}"
    assert "/files/{path}" in spec["paths"]
    # Documented paths that no route serves would mislead clients.
    unserved = set(spec["paths"]) - served_routes()
    assert not unserved, f"documented but not routed: {sorted(unserved)}"


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_spec_references_resolve_and_errors_use_the_error_model(server: RunningServer) -> None:
    spec = _spec(server)
    refs = list(_refs(spec))
    assert len(refs) > 50
    for ref in refs:
        _hash, kind, name = ref.split("/")
        assert name in spec[kind], f"dangling reference {ref}"
    assert set(spec["definitions"]["Error"]["required"]) == {"message", "reason"}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op.get("summary"), f"{method.upper()} {path} has no summary"
            for status, response in op["responses"].items():
                assert isinstance(status, str), f"{method.upper()} {path}: unquoted {status}"
                if int(status) >= 400:
                    assert response["$ref"].startswith("#/responses/Error"), (method, path)
    schemes = spec["securityDefinitions"]
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "Authorization"),
        ("query", "token"),
    }


def test_spec_needs_the_token(server: RunningServer) -> None:
    r = httpx.get(server.url + "api/spec.yaml")
    assert r.status_code == 403
    assert r.json()["reason"] == "unauthorized"
    assert "swagger" not in r.text


def test_spec_ships_inside_the_package() -> None:
    text = resources.files("carnet.web").joinpath("api.yaml").read_text()
    assert yaml.safe_load(text)["paths"]
