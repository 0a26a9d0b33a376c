"""Pull-mode worker: log in by key, pull jobs that fit, run them confined, pack, sign, report."""
