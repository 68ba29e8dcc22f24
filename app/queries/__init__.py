"""Read-only queries shared by routes (writes live in app/actions)."""
