"""Replies: a message may quote an earlier message of its room (nullable, set null on delete)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0011_web_push')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='reply_to',
            field=fields.ForeignKeyField('models.Message', source_field='reply_to_id',
                                         db_constraint=True, to_field='id', null=True,
                                         related_name='replies', on_delete=OnDelete.SET_NULL),
        ),
    ]
