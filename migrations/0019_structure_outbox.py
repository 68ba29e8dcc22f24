"""One outbox: e-mail and push rows move from `notifications` and `push_deliveries` into
`deliveries` (a `channel` column tells them apart), pending ones included, so an upgrade loses
no notification; sent, skipped and failed rows keep their history."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.notification import Channel, NotificationKind, NotificationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

COLUMNS = ("user_id, kind, status, actor_id, room_id, message_id, attempts, not_before, "
           "last_error, created_at, sent_at")
MOVE_ROWS = f"""
INSERT INTO deliveries (channel, invitation_id, {COLUMNS})
SELECT 'email', invitation_id, {COLUMNS} FROM notifications ORDER BY id;
INSERT INTO deliveries (channel, invitation_id, {COLUMNS})
SELECT 'push', NULL, {COLUMNS} FROM push_deliveries ORDER BY id;
"""
MOVE_ROWS_BACK = f"""
INSERT INTO notifications (invitation_id, {COLUMNS})
SELECT invitation_id, {COLUMNS} FROM deliveries WHERE channel = 'email' ORDER BY id;
INSERT INTO push_deliveries ({COLUMNS})
SELECT {COLUMNS} FROM deliveries WHERE channel = 'push' ORDER BY id;
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0018_security_round3')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Delivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('channel', fields.CharEnumField(description='EMAIL: email\nPUSH: push', enum_type=Channel, max_length=8)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='DIRECT_MESSAGE: direct_message\nPRIVATE_REQUEST: private_request\nMENTION: mention\nROOM_MESSAGE: room_message\nINVITATION: invitation\nPASSWORD_RESET: password_reset\nVERIFY_EMAIL: verify_email\nPASSWORD_CHANGED: password_changed', enum_type=NotificationKind, max_length=16)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: pending\nSENT: sent\nSKIPPED: skipped\nFAILED: failed', enum_type=NotificationStatus, max_length=8)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='deliveries_caused', on_delete=OnDelete.SET_NULL)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('invitation', fields.ForeignKeyField('models.Invitation', source_field='invitation_id', null=True, db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('attempts', fields.IntField(default=0)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deliveries', 'app': 'models', 'indexes': [Index(fields=['channel', 'status', 'user_id']), Index(fields=['status', 'not_before'])], 'pk_attr': 'id', 'table_description': 'An outbox row: `user` is owed a notification by `channel` once it is due.'},
            bases=['Model'],
        ),
        ops.RunSQL(MOVE_ROWS, reverse_sql=MOVE_ROWS_BACK),
        ops.DeleteModel(name='Notification'),
        ops.DeleteModel(name='PushDelivery'),
    ]
