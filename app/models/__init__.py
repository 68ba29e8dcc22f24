"""Tortoise models, one family per module; this package is the ORM app Parley registers."""

from app.models.media import MediaFile, MediaKind
from app.models.message import Message
from app.models.room import Membership, Room, Visibility
from app.models.throttle import ThrottleHit
from app.models.user import Session, User

__all__ = ["MediaFile", "MediaKind", "Membership", "Message", "Room", "Session", "ThrottleHit",
           "User", "Visibility"]
