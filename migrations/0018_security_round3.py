"""Verification links work once: users count the changes and confirmations of their address."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0017_everyone_rooms')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='email_generation',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
