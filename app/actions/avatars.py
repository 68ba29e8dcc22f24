"""Profile photos: an upload becomes the user's square avatar; the previous one is deleted."""

from __future__ import annotations

from app.actions.accounts import account_changed
from app.errors import InvalidInput
from app.media.images import ImageRejected
from app.media.storage import delete_files
from app.media.uploads import MediaSettings, store_upload
from app.models import MediaFile, MediaKind, User
from app.realtime.publish import in_transaction


async def update_avatar(user: User, data: bytes, media: MediaSettings) -> User:
    """Make `data` the user's profile photo (256 and 64 px squares); raises InvalidInput."""
    try:
        stored = await store_upload(data, MediaKind.AVATAR, media, owner=user.id)
    except ImageRejected as exc:
        raise InvalidInput({"avatar": str(exc)}) from None
    try:
        async with in_transaction() as conn:
            # Lock the user row so two uploads at once cannot both keep a "previous" photo.
            locked = await User.select_for_update().using_db(conn).get(id=user.id)
            old = await MediaFile.get_or_none(key=locked.avatar_key, using_db=conn) \
                if locked.avatar_key else None
            await MediaFile.create(**stored.row_fields(), owner_id=user.id, using_db=conn)
            await User.filter(id=user.id).using_db(conn).update(
                avatar_key=stored.key, avatar_thumb_key=stored.thumb_key)
            if old:
                await old.delete(using_db=conn)
            await account_changed(user.id, signed_out=False, using_db=conn)
    except BaseException:
        stored.discard()
        raise
    if old:
        delete_files(media.root, [old.key, old.thumb_key])
    user.avatar_key, user.avatar_thumb_key = stored.key, stored.thumb_key
    return user
