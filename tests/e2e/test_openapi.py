"""The OpenAPI description (``/openapi.json``) promises every error answer an operation
can give, in the one shape they all have; ``test_api_fuzz.py`` holds the real answers
to it. Here: the answers no route declares for itself, those of the framework and the
middleware, are declared on every route that can give them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from tests.conftest import TEST_MASTER_KEY
from xueji.app import ROUTERS, create_app
from xueji.auth.deps import current_principal
from xueji.config import Settings

ERROR_SHAPES = {"#/components/schemas/ErrorOut", "#/components/schemas/ThrottledOut"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    """The description needs no database: nothing here connects to one."""
    return create_app(Settings(var_dir=tmp_path, secret_key=TEST_MASTER_KEY.decode()))


def _operations(app: FastAPI) -> Iterator[tuple[APIRoute, str, dict[str, Any]]]:
    paths = app.openapi()["paths"]
    routes = [route for module in ROUTERS for route in module.router.routes]
    assert len(routes) > 40
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods:
                yield route, method, paths[route.path_format][method.lower()]


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)


def _parameters(dependant: Dependant) -> bool:
    fields = dependant.path_params + dependant.query_params + dependant.body_params
    return bool(fields) or any(_parameters(d) for d in dependant.dependencies)


def test_every_error_answer_of_the_json_api_has_the_error_shape(app: FastAPI) -> None:
    """Under /api/ (``web.errors``); /metrics, outside it, answers an error page."""
    for route, method, operation in _operations(app):
        for status, answer in operation["responses"].items():
            if int(status) >= 400 and route.path.startswith("/api/"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema["$ref"] in ERROR_SHAPES, (method, route.path, status)
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]


def test_the_answers_of_the_framework_are_declared_where_they_can_happen(app: FastAPI) -> None:
    """A route that needs a session: 401. A write: 413 (``web.body_limit``). A request
    body: 400 when it cannot be decoded. Any parameter or body: 422. Any request: 503
    (``web.writes``: the database stayed busy)."""
    missing = {}
    for route, method, operation in _operations(app):
        expected = {"503"}
        if _depends_on(route.dependant, current_principal):
            expected.add("401")
        if method in WRITES:
            expected.add("413")
        if route.body_field is not None:
            expected.add("400")
        if _parameters(route.dependant):
            expected.add("422")
        if expected - set(operation["responses"]):
            missing[f"{method} {route.path}"] = sorted(expected - set(operation["responses"]))
    assert missing == {}
