"""A dapp's front end served from this machine (the vanity-address dapp's page)."""
