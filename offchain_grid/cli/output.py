"""Printing for the client verbs: aligned tables for people, JSON for scripts."""

from __future__ import annotations

import functools
import json
import time

import click

from ..errors import GridError


def emit(data, as_json: bool, columns: list[str] | None = None) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    rows = data if isinstance(data, list) else [data]
    if columns is None:
        for row in rows:
            for key, value in row.items():
                click.echo(f"{key}: {value if not isinstance(value, (dict, list)) else json.dumps(value)}")
        return
    table = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in table]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def show(data, as_json: bool, line: str) -> None:
    """JSON for scripts, or the one line a person needs (usually a uid)."""
    if as_json:
        emit(data, True)
    else:
        click.echo(line)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value > 1e9:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return str(value)


def grid_errors(func):
    """Turn library errors into one-line click errors."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except GridError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)) from None

    return wrapper
