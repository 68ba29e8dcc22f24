"""Attachments: a message may carry one file of any type (metadata here, the bytes on disk)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0012_replies')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Attachment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('name', fields.CharField(max_length=255)),
                ('byte_size', fields.BigIntField()),
                ('content_type', fields.CharField(max_length=100)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id',
                                                 db_constraint=True, to_field='id',
                                                 related_name='attachments',
                                                 on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True,
                                                db_constraint=True, to_field='id',
                                                related_name='attachments',
                                                on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'attachments', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'One file as uploaded, always served as a download.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='attachment',
            field=fields.ForeignKeyField('models.Attachment', source_field='attachment_id',
                                         null=True, db_constraint=True, to_field='id',
                                         related_name='messages',
                                         on_delete=OnDelete.SET_NULL),
        ),
    ]
