"""What the users of a Cumulus deployment do without writing brownie scripts: app and dataset
owners, pool operators, workers and requesters. The `cumulus` command (sdk/cli) is a thin
shell over these modules, which read and write the same deployment files as the scripts."""
