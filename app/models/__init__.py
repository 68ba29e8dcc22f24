"""Tortoise models, one family per module; this package is the ORM app Parley registers."""

from app.models.attachment import Attachment
from app.models.bot import Bot
from app.models.imports import ImportedId, ImportRun
from app.models.instance import Instance, InstanceKeys, MailHealth, SignupPolicy
from app.models.invitation import Invitation
from app.models.keys import KeyAlgorithm, KeyBackup, PublicKey
from app.models.link_preview import LinkPreview, LinkState, MessageLink, PreviewStatus
from app.models.media import MediaFile, MediaKind
from app.models.message import (
    REACTIONS,
    Message,
    MessageRevision,
    Reaction,
    ThreadFollow,
    ThreadSummary,
)
from app.models.notification import Channel, Delivery, NotificationKind, NotificationStatus
from app.models.presence import Presence
from app.models.push import PushSubscription
from app.models.room import Involvement, Membership, Room, RoomKind
from app.models.throttle import ThrottleHit
from app.models.user import Session, User
from app.models.webhook import Webhook

__all__ = ["REACTIONS", "Attachment", "Bot", "Channel", "Delivery", "ImportRun", "ImportedId",
           "Instance", "Involvement",
           "InstanceKeys", "Invitation", "KeyAlgorithm", "KeyBackup", "MailHealth", "MediaFile",
           "MediaKind", "Membership", "Message", "MessageRevision", "NotificationKind",
           "NotificationStatus", "Presence", "PublicKey", "PushSubscription", "Reaction", "Room",
           "RoomKind", "Session", "SignupPolicy", "ThreadFollow", "ThreadSummary", "ThrottleHit",
           "User", "Webhook",
           "LinkPreview", "LinkState", "MessageLink", "PreviewStatus"]
