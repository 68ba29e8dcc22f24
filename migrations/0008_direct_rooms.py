"""Private conversations become rooms of kind `direct`.

Each old conversation (two users kept as low/high columns) becomes a room with one membership
per person, carrying over read positions and e-mail holds; each old encrypted message becomes a
message of that room whose `envelope` keeps the old ciphertext as a version-1 envelope (the
browser still opens it); outbox rows are re-pointed at the new room and message. Then the old
tables go.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.models.room import RoomKind

# A temporary column remembers which conversation each new room came from.
MOVE_CONVERSATIONS = """
ALTER TABLE rooms ADD COLUMN migrated_conversation_id INT;

INSERT INTO rooms (name, topic, kind, owner_id, last_seq, last_change_seq, last_message_at,
                   created_at, migrated_conversation_id)
SELECT '', '', 'direct', c.low_user_id, c.last_seq, 0, c.last_message_at, c.created_at, c.id
FROM conversations c ORDER BY c.id;

INSERT INTO memberships (room_id, user_id, joined_at, last_read_seq, email_mode, email_held)
SELECT r.id, c.low_user_id, c.created_at, c.low_read_seq, 'all', c.low_email_held
FROM conversations c JOIN rooms r ON r.migrated_conversation_id = c.id
UNION ALL
SELECT r.id, c.high_user_id, c.created_at, c.high_read_seq, 'all', c.high_email_held
FROM conversations c JOIN rooms r ON r.migrated_conversation_id = c.id;

INSERT INTO messages (room_id, author_id, seq, client_msg_id, body, envelope, created_at,
                      change_seq)
SELECT r.id, d.sender_id, d.seq, d.client_msg_id, '',
       jsonb_build_object(
           'v', 1, 'conversation', c.id, 'sender_key', d.sender_key_id,
           'recipient', CASE WHEN d.sender_id = c.low_user_id THEN c.high_user_id
                             ELSE c.low_user_id END,
           'recipient_key', d.recipient_key_id, 'salt', d.salt, 'iv', d.iv,
           'ciphertext', d.ciphertext),
       d.created_at, 0
FROM direct_messages d
JOIN conversations c ON c.id = d.conversation_id
JOIN rooms r ON r.migrated_conversation_id = c.id
ORDER BY d.id;

UPDATE notifications n SET room_id = m.room_id, message_id = m.id
FROM direct_messages d
JOIN rooms r ON r.migrated_conversation_id = d.conversation_id
JOIN messages m ON m.room_id = r.id AND m.seq = d.seq
WHERE n.direct_message_id = d.id;

DELETE FROM notifications WHERE conversation_id IS NOT NULL AND message_id IS NULL;

ALTER TABLE rooms DROP COLUMN migrated_conversation_id;
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0007_chat_features')]

    initial = False

    operations = [
        ops.RenameField(model_name='Room', old_name='visibility', new_name='kind'),
        ops.AlterField(
            model_name='Room',
            name='kind',
            field=fields.CharEnumField(default=RoomKind.PUBLIC, description='PUBLIC: public\nPRIVATE: private\nDIRECT: direct', enum_type=RoomKind, max_length=16),
        ),
        ops.AddField(
            model_name='Message',
            name='envelope',
            field=fields.JSONField(null=True),
        ),
        ops.RunSQL(MOVE_CONVERSATIONS, reverse_sql=None),
        ops.RemoveField(model_name='Notification', name='direct_message'),
        ops.RemoveField(model_name='Notification', name='conversation'),
        ops.DeleteModel(name='DirectMessage'),
        ops.DeleteModel(name='Conversation'),
    ]
