"""Actions: the only code that writes to the database and announces changes."""
