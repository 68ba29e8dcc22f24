"""Two-way bots: a bot account's API key hash, the URL it is called at and its signing secret."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0023_involvement')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Bot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='bot', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(null=True, max_length=2000)),
                ('key_hash', fields.CharField(unique=True, max_length=64)),
                ('signing_secret', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'bots', 'app': 'models', 'pk_attr': 'id', 'table_description': "A bot's account and how it talks to Parley."},
            bases=['Model'],
        ),
    ]
