"""Deploy a dapp of this project with brownie, as brownie users write it, and record it.

    brownie run scripts/deploy_dapp.py main SumDapp 2 1 3 --network cumulus-live     (app 2, pool 1, trust 3)

The arguments after the contract's name follow the Hub in its constructor. `Contract.deploy`
and `Contract.at` work on a live network because scripts.helpers keeps brownie from writing
into the user's ~/.brownie (see there); the address goes into deployments/<network>.json.
"""

from brownie import project

from scripts.helpers import account, checked_deployment, fail


def main(name: str, *args):
    deployment = checked_deployment()
    [loaded] = project.get_loaded_projects()
    container = getattr(loaded, name, None)
    if container is None:
        fail(f"no contract {name!r} in this project (brownie compile builds contracts/)")
    deployer = brownie_account(account("deployer"))
    dapp = container.deploy(deployment.hub, *(int(a) for a in args), {"from": deployer})
    container.at(dapp.address)  # what a later script does to reach it
    deployment.dapps[name] = dapp.address
    path = deployment.save()
    print(f"{name} {dapp.address}, recorded in {path.name}")
    return dapp


def brownie_account(local):
    """brownie's own account object for an eth-account key."""
    from brownie import accounts

    return accounts.add(bytes(local.key).hex())
