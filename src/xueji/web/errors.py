"""The only place that maps domain errors to HTTP: JSON under /api, a page elsewhere; and
how those JSON answers are described in the OpenAPI document (``error_answers``, which
every API route declares for the errors it can give)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from psycopg.errors import NumericValueOutOfRange
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from xueji.domain import errors as e
from xueji.web.forms import FIELD_FALLBACK
from xueji.web.templating import render

STATUS = {
    e.TooLarge: 413,
    e.ValidationFailed: 422,
    e.IllegalTransition: 409,
    e.AuthFailed: 401,
    e.NotAuthenticated: 401,
    e.Throttled: 429,
    e.Forbidden: 403,
    e.NotFound: 404,
    e.Conflict: 409,
    e.Unavailable: 503,
}

_HTTP_CODES = {
    400: ("MALFORMED_REQUEST", "请求内容无法解析：请检查编码（UTF-8）和格式"),
    404: ("NOT_FOUND", "没有找到该页面或记录"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法"),
}


class ErrorOut(BaseModel):
    """Every error answer of the JSON API."""

    code: str = Field(description="稳定的错误代码，如 NOT_FOUND、VALIDATION_FAILED")
    message: str = Field(description="中文说明")
    details: dict[str, Any] = Field(
        description="补充信息；请求内容有误时，fields 与 messages 逐项说明哪个字段、什么问题"
    )


class ThrottledOut(ErrorOut):
    retry_after: int = Field(description="多少秒后可以再试（同 Retry-After 头）")


_ANSWERS = {
    400: "请求内容无法解析（如不是 UTF-8 编码的 JSON、损坏的表单）",
    401: "未登录或会话已失效（NOT_AUTHENTICATED）；登录时用户名或密码错误（AUTH_FAILED）",
    403: "已登录，但当前账号无权进行该操作（以 Cookie 登录的写请求未带 X-CSRF-Token：CSRF_FAILED）",
    404: "没有该记录，或该记录不在当前账号的范围内（两者不加区分）",
    409: "与现有数据冲突，或当前状态不允许该操作",
    413: "请求内容或上传的文件超过大小上限，未被读取",
    422: "请求内容不完整或格式不对；details 逐项说明",
    429: "尝试次数过多，retry_after 秒后再试",
    503: "暂时无法处理（数据库繁忙、短信网关不可用），请稍后重试",
}


def error_answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers an operation can give, for its OpenAPI description
    (``responses=`` of a router or a route)."""
    return {
        status: {
            "model": ThrottledOut if status == 429 else ErrorOut,
            "description": _ANSWERS[status],
        }
        for status in statuses
    }


def status_of(error: e.XuejiError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_response(error: e.XuejiError, request: Request) -> Response:
    status = status_of(error)
    headers = {}
    if isinstance(error, e.Throttled):
        headers["Retry-After"] = str(error.retry_after)
    if _wants_json(request):
        body: dict[str, Any] = error.as_dict()
        if isinstance(error, e.Throttled):
            body["retry_after"] = error.retry_after
        return JSONResponse(body, status_code=status, headers=headers)
    if isinstance(error, e.NotAuthenticated):
        return Response(status_code=303, headers={"Location": "/login"})
    return render(request, "error.html", {"error": error}, status_code=status, headers=headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


_FIELD_MESSAGES = {
    "missing": "必须填写",
    "string_type": "须为文本",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "int_parsing": "须为整数",
    "bool_parsing": "须为是或否",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
}


def _field_code(item: Any) -> str:
    """A stable code per field: FIELD_REQUIRED, FIELD_TOO_LONG, FIELD_TOO_SHORT or
    FIELD_INVALID."""
    kind = str(item.get("type"))
    if kind == "missing":
        return "FIELD_REQUIRED"
    if kind.endswith("too_long"):
        return "FIELD_TOO_LONG"
    if kind.endswith("too_short"):
        return "FIELD_TOO_SHORT"
    return "FIELD_INVALID"


def _field_message(item: Any) -> str:
    return _FIELD_MESSAGES.get(str(item.get("type")), FIELD_FALLBACK)


def _out_of_range() -> e.ValidationFailed:
    """A number in the address or the form larger than any record's (page=99999999999…):
    the database refuses to compare it (SQLite: OverflowError; PostgreSQL: integer out of
    range). Nothing was read or written; it is the request that is wrong."""
    return e.ValidationFailed("请求中的数字超出范围", code="NUMBER_OUT_OF_RANGE")


def install(app: FastAPI) -> None:
    @app.exception_handler(e.XuejiError)
    async def domain_error(request: Request, error: e.XuejiError) -> Response:
        return error_response(error, request)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        items = {
            ".".join(str(part) for part in item["loc"][1:]) or "body": item
            for item in error.errors()
        }
        failure = e.ValidationFailed(
            "请求内容不完整或格式不对",
            fields={field: _field_code(item) for field, item in items.items()},
            messages={field: _field_message(item) for field, item in items.items()},
        )
        return error_response(failure, request)

    @app.exception_handler(OverflowError)
    async def too_large(request: Request, _error: OverflowError) -> Response:
        return error_response(_out_of_range(), request)

    @app.exception_handler(DataError)
    async def out_of_range(request: Request, error: DataError) -> Response:
        if isinstance(error.orig, NumericValueOutOfRange):
            return error_response(_out_of_range(), request)
        raise error

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        code, message = _HTTP_CODES.get(error.status_code, ("HTTP_ERROR", "请求无法处理"))
        failure = e.XuejiError(message, code=code)
        if _wants_json(request):
            return JSONResponse(failure.as_dict(), status_code=error.status_code)
        return render(request, "error.html", {"error": failure}, status_code=error.status_code)
