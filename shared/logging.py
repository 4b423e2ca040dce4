"""Structured JSON logs. Log ids and counts, never personal data."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

# Libraries that log what they are handed: aiosmtpd ("mail.log") logs senders, recipients and
# unrecognised command lines, at INFO and WARNING; kept to errors so no address reaches the logs.
QUIET_LOGGERS = {
    "aiokafka": logging.WARNING,
    "pymongo": logging.WARNING,
    "uvicorn.access": logging.WARNING,
    "mail.log": logging.ERROR,
}


def quiet_libraries() -> None:
    """Raise the level of the libraries in QUIET_LOGGERS."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


def configure_logging(*, service: str, level: str = "INFO") -> None:
    """Send every record to stderr as one JSON object carrying the service name."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_libraries()
