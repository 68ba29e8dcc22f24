"""Push subscriptions belong to the login session that made them, and end with it.

Subscriptions stored before this cannot say which session made them, so they are removed: a
browser whose person turns notifications on again subscribes afresh, tied to its session.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0013_attachments')]

    initial = False

    operations = [
        ops.RunSQL("DELETE FROM push_subscriptions", reverse_sql="SELECT 1"),
        ops.AddField(
            model_name='PushSubscription',
            name='session',
            field=fields.ForeignKeyField('models.Session', source_field='session_id',
                                         db_constraint=True, to_field='id',
                                         related_name='push_subscriptions',
                                         on_delete=OnDelete.CASCADE),
        ),
    ]
