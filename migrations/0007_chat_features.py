from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_email')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MessageRevision',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='revisions', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(unique=False)),
                ('written_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('replaced_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message_revisions', 'app': 'models', 'pk_attr': 'id', 'table_description': "A message's text before an edit: the edit history room members may read."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Reaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.ForeignKeyField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='reactions', on_delete=OnDelete.CASCADE)),
                ('emoji', fields.CharField(max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reactions', 'app': 'models', 'unique_together': (('message', 'user', 'emoji'),), 'pk_attr': 'id', 'table_description': "One person's emoji on one message (toggled: given once, taken back the same way)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='change_seq',
            field=fields.BigIntField(default=0),
        ),
        ops.AddField(
            model_name='Message',
            name='deleted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Message',
            name='edited_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='Message',
            index=Index(fields=['room_id', 'change_seq']),
        ),
        ops.AddField(
            model_name='Room',
            name='last_change_seq',
            field=fields.BigIntField(default=0),
        ),
        # Full-text search over room messages: an expression GIN index the search query matches
        # exactly (to_tsvector('simple', body)); 'simple' does no stemming, so any language works.
        ops.RunSQL(
            "CREATE INDEX messages_body_search ON messages USING gin (to_tsvector('simple', body))",
            reverse_sql="DROP INDEX messages_body_search",
        ),
    ]
