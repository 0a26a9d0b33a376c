"""One root exception for the oracle, with a child per kind of failure an operator must tell apart."""


class OracleError(Exception):
    """Anything the oracle refuses or cannot do, with a message an operator can act on."""


class ArtifactsMissing(OracleError):
    """The contracts have not been compiled (run `brownie compile`)."""


class DeploymentMissing(OracleError):
    """No deployment is recorded for this network (run scripts/deploy.py first)."""


class WrongChain(OracleError):
    """The chain reached is not the one the deployment file records."""


class TransactionFailed(OracleError):
    """A transaction reverted or could not be sent."""


class GridError(OracleError):
    """The scheduler refused a request or could not be reached."""
