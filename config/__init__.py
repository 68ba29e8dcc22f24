"""Parley configuration: settings classes and the environment variables that override them."""
