"""Live updates: typed events on a supervised Postgres bus, fanned out to local WebSockets."""
