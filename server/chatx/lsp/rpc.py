"""JSON-RPC below the features: a converter that refuses a string where a list belongs, and
messages that fail to structure turned into something the protocol can answer.

pygls raises out of its reader when a message does not structure, so a request with bad
params never gets a reply; `structure` returns a `Rejected` instead, which the protocol
answers with InvalidParams (a request) or logs and drops (a notification).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_origin

import cattrs
from cattrs.cols import is_sequence, list_structure_factory
from cattrs.dispatch import StructureHook
from pygls.protocol import default_converter
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, MsgId

from chatx.models import Problem
from chatx.problems import INVALID_PARAMS, ProblemCode, make_problem

INVALID_REQUEST, PARSE_ERROR = -32600, -32700


class NotAListError(TypeError):
    """A string, bytes or an object given where the protocol wants an array."""


@dataclass(frozen=True)
class Rejected:
    """A request or notification whose params did not structure."""

    msg_id: MsgId | None
    is_request: bool
    method: str
    problem: Problem
    error: Exception
    code: int = INVALID_PARAMS


def _json_kind(value: Any) -> str:
    kinds = {str: "a string", bytes: "bytes", bool: "a boolean", int: "a number"}
    return "an object" if isinstance(value, Mapping) else kinds.get(type(value), "a value")


def _is_list_type(kind: Any) -> bool:
    return is_sequence(kind) and kind is not tuple and get_origin(kind) is not tuple


def _list_hook(kind: Any, converter: cattrs.Converter) -> StructureHook:
    base = list_structure_factory(kind, converter)

    def structure(value: Any, target: Any) -> Any:
        if isinstance(value, str | bytes | Mapping):
            raise NotAListError(f"expected an array, got {_json_kind(value)}")
        return base(value, target)

    return structure


def make_converter() -> cattrs.Converter:
    """pygls' lsprotocol converter, except that a string is not a list of its characters."""
    converter: cattrs.Converter = default_converter()  # type: ignore[no-untyped-call]
    converter.register_structure_hook_factory(_is_list_type, _list_hook)
    return converter


def _camel(path: str) -> str:
    """`$.params.text_document.uri` -> `textDocument.uri`: the names the client sent."""
    path = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), path)
    return path.removeprefix("$").removeprefix(".").removeprefix("params").removeprefix(".")


def _format(exc: BaseException, kind: type | None) -> str:
    """Our own message and lsprotocol's validators' (a range) as they are; else cattrs'."""
    if isinstance(exc, NotAListError) or (isinstance(exc, ValueError) and not kind and str(exc)):
        return str(exc)
    return cattrs.v.format_exception(exc, kind)


def describe(exc: Exception) -> str:
    """One line naming each field that failed, e.g. `position.line: should be ... but was -1`."""
    if isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        lines = cattrs.transform_error(exc, format_exception=_format)
        parts = []
        for line in lines:
            text, _, where = line.rpartition(" @ ")
            parts.append(f"{_camel(where) or 'params'}: {text}" if text else line)
        return "; ".join(parts)
    return str(exc) or type(exc).__name__


def message_id(data: Mapping[str, Any]) -> MsgId | None:
    """The request's id when it is a valid JSON-RPC id (a string or an integer), else None."""
    value = data.get("id")
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def structure(converter: cattrs.Converter, message_type: type | None, data: dict[str, Any]) -> Any:
    """`data` (a request or notification) as an lsprotocol message, or `Rejected`."""
    is_request = "id" in data
    kind = message_type or (JsonRPCRequestMessage if is_request else JsonRPCNotification)
    method = str(data.get("method"))
    try:
        message: Any = converter.structure(data, kind)
    except Exception as exc:
        detail = f"invalid params of {method}: {describe(exc)}"
        problem = make_problem(ProblemCode.INVALID_INPUT, detail, method)
        return Rejected(message_id(data), is_request, method, problem, exc)
    if is_request and not hasattr(message, "id"):
        detail = f"{method} is a notification: it takes no id"
        problem = make_problem(ProblemCode.INVALID_INPUT, detail, method)
        error = ValueError(detail)
        return Rejected(message_id(data), True, method, problem, error, INVALID_REQUEST)
    return message
