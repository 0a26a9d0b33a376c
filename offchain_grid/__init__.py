"""Off-chain desktop grid: scheduler, pull-mode workers, data repository, result collector, `xw` CLI."""

__version__ = "0.1.0"
