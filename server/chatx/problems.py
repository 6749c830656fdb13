"""RFC 7807 problems: the one error shape of the CLI, the index and the LSP server."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from chatx.models import Problem


class ProblemCode(StrEnum):
    """Machine-readable problem codes shared by every surface."""

    INVALID_INPUT = "INVALID_INPUT"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    PARSE_ERROR = "PARSE_ERROR"
    NOT_INDEXED = "NOT_INDEXED"
    CLOUD_DISABLED = "CLOUD_DISABLED"
    POLICY_SHIELD_FAILURE = "POLICY_SHIELD_FAILURE"
    BACKEND_UNAVAILABLE = "BACKEND_UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    INTERNAL = "INTERNAL"


_TITLES = {
    ProblemCode.INVALID_INPUT: ("Invalid input", 400),
    ProblemCode.UNSUPPORTED_FORMAT: ("Unsupported format", 415),
    ProblemCode.PARSE_ERROR: ("Parse error", 422),
    ProblemCode.NOT_INDEXED: ("Not indexed", 404),
    ProblemCode.CLOUD_DISABLED: ("Cloud disabled", 403),
    ProblemCode.POLICY_SHIELD_FAILURE: ("Policy Shield failure", 451),
    ProblemCode.BACKEND_UNAVAILABLE: ("Backend unavailable", 503),
    ProblemCode.TIMEOUT: ("Timeout", 504),
    ProblemCode.INTERNAL: ("Internal error", 500),
}


# JSON-RPC error codes of a Problem answered over LSP (the daemon's ResponseError.code).
INVALID_PARAMS = -32602  # JSON-RPC: the request's input is wrong
INTERNAL_ERROR = -32603  # JSON-RPC: a bug on our side
REQUEST_FAILED = -32803  # LSP: a valid request that failed (its Problem says why)
REQUEST_CANCELLED = -32800  # LSP: the client cancelled the request

_JSONRPC_CODES = {
    ProblemCode.INVALID_INPUT: INVALID_PARAMS,
    ProblemCode.UNSUPPORTED_FORMAT: INVALID_PARAMS,
    ProblemCode.PARSE_ERROR: INVALID_PARAMS,
    ProblemCode.NOT_INDEXED: REQUEST_FAILED,
    ProblemCode.CLOUD_DISABLED: REQUEST_FAILED,
    ProblemCode.POLICY_SHIELD_FAILURE: REQUEST_FAILED,
    ProblemCode.BACKEND_UNAVAILABLE: REQUEST_FAILED,
    ProblemCode.TIMEOUT: REQUEST_FAILED,
    ProblemCode.INTERNAL: INTERNAL_ERROR,
}


def jsonrpc_code(code: str) -> int:
    """The JSON-RPC error code of a problem code (an unknown one is an internal error)."""
    try:
        return _JSONRPC_CODES[ProblemCode(code)]
    except ValueError:
        return INTERNAL_ERROR


def make_problem(code: ProblemCode, detail: str, instance: str | None = None) -> Problem:
    """Build a Problem whose type, title and status follow from its code."""
    title, status = _TITLES[code]
    return Problem(
        type=f"https://chatx.dev/problems/{code.value.lower().replace('_', '-')}",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        code=code.value,
    )


class ChatxError(Exception):
    """An error that carries the Problem to show the user."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.detail)
        self.problem = problem

    @classmethod
    def of(cls, code: ProblemCode, detail: str, instance: str | None = None) -> ChatxError:
        """Shorthand for an error with a fresh problem."""
        return cls(make_problem(code, detail, instance))


def problem_from(data: Mapping[str, Any]) -> Problem:
    """A Problem from its JSON form, or from just a `code` and a `detail` (what the daemon
    socket's import-light client reports)."""
    if "title" in data:
        return Problem.model_validate(data)
    return make_problem(ProblemCode(data.get("code", "INTERNAL")), str(data.get("detail", "")))
