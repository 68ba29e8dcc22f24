from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.notification import NotificationKind, NotificationStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from enum import StrEnum


class EmailMode(StrEnum):
    """The per-room e-mail setting of its time (0019 folds it into `involvement`)."""

    MENTIONS = "mentions"
    ALL = "all"
    NONE = "none"

class Migration(migrations.Migration):
    dependencies = [('models', '0005_presence')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='DIRECT_MESSAGE: direct_message\nMENTION: mention\nROOM_MESSAGE: room_message\nINVITATION: invitation\nPASSWORD_RESET: password_reset', enum_type=NotificationKind, max_length=16)),
                ('status', fields.CharEnumField(default=NotificationStatus.PENDING, description='PENDING: pending\nSENT: sent\nSKIPPED: skipped\nFAILED: failed', enum_type=NotificationStatus, max_length=8)),
                ('actor', fields.ForeignKeyField('models.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='notifications_caused', on_delete=OnDelete.SET_NULL)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('direct_message', fields.ForeignKeyField('models.DirectMessage', source_field='direct_message_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('invitation', fields.ForeignKeyField('models.Invitation', source_field='invitation_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('attempts', fields.IntField(default=0)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_error', fields.CharField(default='', max_length=500)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'notifications', 'app': 'models', 'indexes': [Index(fields=['status', 'user_id'])], 'pk_attr': 'id', 'table_description': 'An outbox row: `user` may get an e-mail about it once the batching delay has passed.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Conversation',
            name='high_email_held',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Conversation',
            name='low_email_held',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Membership',
            name='email_held',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Membership',
            name='email_mode',
            field=fields.CharEnumField(default=EmailMode.MENTIONS, description='MENTIONS: mentions\nALL: all\nNONE: none', enum_type=EmailMode, max_length=8),
        ),
        ops.AddField(
            model_name='User',
            name='email_notifications',
            field=fields.BooleanField(default=True),
        ),
        ops.AddField(
            model_name='User',
            name='notify_delay_seconds',
            field=fields.IntField(null=True),
        ),
    ]
