"""Scheduler logic: data functions over a session, one module per resource, no HTTP in here."""
