"""The market's order book: signed orders published, listed and dropped once spent on chain."""
