"""The oracle: follows paid requests on chain, runs them on the grid, writes results back."""
