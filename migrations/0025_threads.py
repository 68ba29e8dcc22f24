"""Threads: a message may be a reply in the thread of a top-level message of its room, and
people follow threads (thread_follows: who, which root, up to which reply they have read)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0024_bots')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Message',
            name='thread_root',
            field=fields.ForeignKeyField('models.Message', source_field='thread_root_id',
                                         db_constraint=True, to_field='id', null=True,
                                         related_name='thread_replies',
                                         on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Message',
            name='also_in_room',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunSQL(
            "CREATE INDEX messages_thread_root ON messages (thread_root_id, id) "
            "WHERE thread_root_id IS NOT NULL",
            reverse_sql="DROP INDEX messages_thread_root",
        ),
        ops.CreateModel(
            name='ThreadFollow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id',
                                                db_constraint=True, to_field='id',
                                                related_name='thread_follows',
                                                on_delete=OnDelete.CASCADE)),
                ('root', fields.ForeignKeyField('models.Message', source_field='root_id',
                                                db_constraint=True, to_field='id',
                                                related_name='follows',
                                                on_delete=OnDelete.CASCADE)),
                ('last_read_id', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'thread_follows', 'app': 'models',
                     'unique_together': (('user', 'root'),), 'pk_attr': 'id',
                     'table_description': '`user` follows the thread of `root`.'},
            bases=['Model'],
        ),
    ]
