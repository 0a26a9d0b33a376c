"""Logging of the long-running services (scheduler, worker, oracle): text lines for people, or one
JSON object per line for log collectors (`--log-format json`)."""

from __future__ import annotations

import logging
import sys

import click

FORMATS = ("text", "json")
log_format_option = click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
                                 help="text lines, or JSON lines (time, level, logger, message, service, and "
                                      "the fields a line adds) for log collectors.")


def configure(level: str, log_format: str, service: str, text_format: str) -> None:
    """Root logging on stderr; in JSON every record, the web server's included, is one object."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter("{levelname}{name}{message}", style="{", timestamp="time",
                                           rename_fields={"levelname": "level", "name": "logger"},
                                           static_fields={"service": service}))
    else:
        handler.setFormatter(logging.Formatter(text_format))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)


def uvicorn_log_config(log_format: str) -> dict | None:
    """In JSON, uvicorn's own loggers go to the root handler above instead of its text handlers."""
    if log_format != "json":
        from uvicorn.config import LOGGING_CONFIG

        return LOGGING_CONFIG
    return {"version": 1, "disable_existing_loggers": False,
            "loggers": {name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error",
                                                                               "uvicorn.access")}}
