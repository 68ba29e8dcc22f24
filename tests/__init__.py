"""Parley's test suite: real PostgreSQL, real bus, real SMTP, real Chromium."""
