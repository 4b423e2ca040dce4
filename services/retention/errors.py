"""What the retention service layer refuses, in its own words; the HTTP entrypoints translate
each into a status (`services.retention.http.install_error_answers`)."""

from __future__ import annotations


class NotAllowedError(PermissionError):
    """The caller may not act on this (a requester acting for someone else, say)."""


class NotFoundError(LookupError):
    """No such export, erasure, certificate, hold or processor."""


class GoneError(Exception):
    """It existed and is over: an export downloaded, a link used or expired."""


class NotReadyError(Exception):
    """Asked for too early, or in a state that does not allow it (409)."""
