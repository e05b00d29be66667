"""Reading request bodies defensively and answering errors, for every handler in one place.

Bodies are read only up to a size limit, parsed as strict JSON (no ``NaN`` or
``Infinity``, finite numbers only) and refused when nested deeper than a limit, so
no input reaches a handler as a ``RecursionError`` or a 500. Errors become a JSON
``{"error": <translated message>}`` with the error's 4xx status (and ``Retry-After``
or ``Allow`` where HTTP asks for them); the handler has changed nothing by then.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from typing import Any

from webob import Response
from xblock.core import XBlock
from xblock.exceptions import JsonHandlerError

from . import i18n
from .errors import (
    MethodNotAllowed,
    RateLimited,
    RequestInvalid,
    SabaqBlockError,
    StoreUnavailable,
    TooLarge,
    store_down,
)

MAX_JSON_BYTES = 2 * 1024 * 1024  # learner handlers: answers are at most 1 MiB of text
MAX_STUDIO_BYTES = 16 * 1024 * 1024  # an instructor notebook travels as one JSON string
MAX_REPORT_BYTES = 16 * 1024 * 1024  # a grade report carries the tests' output
MAX_DEPTH = 32  # request bodies and reports are shallow
NOTEBOOK_DEPTH = 100  # outputs and widget state nest deeper, but not without bound

Handler = Callable[..., Any]
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # only an escape can make a lone surrogate


class _NonFinite(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NonFinite(text)
    return value


def _check_depth(value: Any, max_depth: int) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise RequestInvalid("too_deep", limit=max_depth)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def _check_unicode(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        texts = [item] if isinstance(item, str) else list(item) if isinstance(item, dict) else []
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RequestInvalid("not_unicode") from exc
        if isinstance(item, dict | list):
            stack.extend(item.values() if isinstance(item, dict) else item)


def parse_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``raw`` as strict JSON nested at most ``max_depth`` deep; ``RequestInvalid`` otherwise.

    Strict also means valid Unicode: a lone surrogate (``"\\ud800"``) could be neither stored
    nor measured in UTF-8.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_constant, parse_float=_finite)
    except _NonFinite as exc:
        raise RequestInvalid("non_finite") from exc
    except RecursionError as exc:
        raise RequestInvalid("too_deep", limit=max_depth) from exc
    except ValueError as exc:  # also UnicodeDecodeError and integers of too many digits
        raise RequestInvalid("not_json_body") from exc
    if isinstance(value, dict | list):
        _check_depth(value, max_depth)
    if _SURROGATE_ESCAPE.search(text):
        _check_unicode(value)
    return value


def read_body(request: Any, max_bytes: int) -> bytes:
    """The request's body, refused with 413 when over ``max_bytes`` (before reading it if we can)."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise TooLarge("body_too_large", limit_kb=max_bytes // 1024)
    try:
        raw = request.body
    except Exception as exc:  # the web framework's own limit, or a broken connection
        if type(exc).__name__ == "RequestDataTooBig":  # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE)
            raise TooLarge("body_too_large", limit_kb=max_bytes // 1024) from exc
        raise RequestInvalid("unreadable_body") from exc
    if len(raw) > max_bytes:
        raise TooLarge("body_too_large", limit_kb=max_bytes // 1024)
    return bytes(raw)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value), status=status, content_type="application/json", charset="utf8")


def error_response(error: SabaqBlockError) -> Response:
    """The translated JSON answer for ``error``, with its status."""
    body: dict[str, Any] = {"error": i18n.error_message(error.code, **error.params)}
    problems = getattr(error, "problems", None)  # the validator's findings, in its own words
    if problems is not None:
        body["problems"] = list(problems)
    response = json_response(body, error.status)
    if isinstance(error, RateLimited | StoreUnavailable):
        response.headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, MethodNotAllowed):
        response.allow = list(error.allowed)
    return response


def _answer(call: Callable[[], Any]) -> Response:
    try:
        answer = call()
    except SabaqBlockError as error:
        return error_response(error)
    except JsonHandlerError as error:
        return error.get_response()
    except Exception as error:
        if store_down(error):  # a 503 the page tries again, not a 500
            return error_response(StoreUnavailable("store_down", str(error)[:200]))
        raise
    return answer if isinstance(answer, Response) else json_response(answer)


def json_handler(max_bytes: int = MAX_JSON_BYTES) -> Callable[[Handler], Handler]:
    """Like ``XBlock.json_handler``: POST only, the body a JSON object read by the rules above.

    The handler gets the object and may return a value (sent as JSON) or a ``Response``,
    and may raise ``SabaqBlockError`` or ``JsonHandlerError``.
    """

    def wrap(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(self: Any, request: Any, suffix: str = "") -> Response:
            def call() -> Any:
                if request.method != "POST":
                    raise MethodNotAllowed(("POST",))
                data = parse_json(read_body(request, max_bytes))
                if not isinstance(data, dict):
                    raise RequestInvalid("not_object")
                return func(self, data, suffix)

            return _answer(call)

        return XBlock.handler(wrapper)  # type: ignore[no-any-return]

    return wrap


def handler(*methods: str) -> Callable[[Handler], Handler]:
    """A handler that takes the request itself, answers only ``methods`` and turns errors into 4xx."""

    def wrap(func: Handler) -> Handler:
        @functools.wraps(func)
        def wrapper(self: Any, request: Any, suffix: str = "") -> Response:
            def call() -> Any:
                if request.method not in methods:
                    raise MethodNotAllowed(methods)
                return func(self, request, suffix)

            return _answer(call)

        return XBlock.handler(wrapper)  # type: ignore[no-any-return]

    return wrap
