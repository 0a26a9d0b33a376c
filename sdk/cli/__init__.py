"""`cumulus`: the chain command line for those who do not write brownie scripts, over the same
deployment files: app and dataset owners, pool operators, workers and requesters.

One click group per kind of thing (a module each); a new kind (say, marketplace orders) is
one more module whose group joins GROUPS."""

from __future__ import annotations

import sys

import click

from . import account, app, dapp, deploy, grid, order, page, pool, task, wallet, worker

GROUPS = [deploy.deploy, wallet.wallet, account.account, app.app, app.dataset, pool.pool, worker.worker, dapp.dapp,
          task.task, order.order, grid.grid, page.page]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cumulus", message="cumulus %(version)s")
def cli():
    """Cumulus on chain: wallets, escrow accounts, apps, datasets, pools, workers and tasks.

    Every command takes --network (the deployment file deployments/<network>.json and the
    chain's address) and --json; keys come from an encrypted keystore (--keystore or
    $CUMULUS_KEYSTORE) or $CUMULUS_PRIVATE_KEY, never from the command line.

    \b
    Example:
        export CUMULUS_NETWORK=live CUMULUS_RPC_URL=http://127.0.0.1:8545
        cumulus wallet create --keystore me.json
        cumulus account show --keystore me.json
    """


for group in GROUPS:
    cli.add_command(group)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one clear line and a non-zero exit on any error, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="cumulus", standalone_mode=False)
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
        click.echo(f"Error: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", err=True)
        sys.exit(1)
