"""The records reads hand to routes, by name: a blueprint names a type or a choice from here,
never from app/models (the layer contract in pyproject.toml keeps it so)."""

from __future__ import annotations

from app.models import Involvement, Message, PublicKey, Room, SignupPolicy, User

__all__ = ["Involvement", "Message", "PublicKey", "Room", "SignupPolicy", "User"]
