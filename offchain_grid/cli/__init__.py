"""The `xw` command: XtremWeb's verbs for users, plus `scheduler`, `worker` and `admin` to run the grid."""

from __future__ import annotations

import sys

import click

from . import address, server, verbs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cumulus", message="xw %(version)s")
def cli():
    """Cumulus desktop grid client and services.

    \b
    Example:
        xw sendapp ls DEPLOYABLE X86_64 linux /bin/ls
        xw submit ls -l
        xw result <job uid>
    """


for command in (*verbs.COMMANDS, *address.COMMANDS, *server.COMMANDS):
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one clear line and a non-zero exit on any error, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="xw", standalone_mode=False)
        # without standalone mode, click returns the code of a command's Exit instead of raising it
        sys.exit(code if isinstance(code, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # the last line of defence: a readable line instead of a traceback
        click.echo(f"Error: {exc.__class__.__name__}: {exc}", err=True)
        sys.exit(1)
