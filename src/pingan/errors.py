"""The error tree: services raise these; one handler in :mod:`pingan.app` renders them."""

from __future__ import annotations

from typing import Any


class PinganError(Exception):
    """Base of every expected error; carries an HTTP status, a stable code and a readable message."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ValidationFailed(PinganError):
    """Input that is well-formed but breaks a rule (422)."""

    status_code = 422
    code = "validation_failed"


class NotAuthenticated(PinganError):
    """No valid session or token (401)."""

    status_code = 401
    code = "not_authenticated"


class Forbidden(PinganError):
    """Authenticated but not permitted (403)."""

    status_code = 403
    code = "forbidden"


class NotFound(PinganError):
    """No such record, or outside the caller's data scope (404: scope never reveals existence)."""

    status_code = 404
    code = "not_found"


class Conflict(PinganError):
    """The request clashes with stored state (409)."""

    status_code = 409
    code = "conflict"


class Locked(PinganError):
    """The account is locked (423)."""

    status_code = 423
    code = "account_locked"


class TooManyRequests(PinganError):
    """Rate limit reached (429)."""

    status_code = 429
    code = "too_many_requests"
