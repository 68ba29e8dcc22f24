"""Everyone rooms: public rooms every account joins (at sign-up, and when a room is marked)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0016_attachment_search')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Room',
            name='everyone',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
