from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_private_messages')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Presence',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('instance_id', fields.CharField(db_index=True, max_length=36)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='presences', on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='presences', on_delete=OnDelete.SET_NULL)),
                ('connected_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('heartbeat_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'presence', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A live connection of `user` held by app process `instance_id`, refreshed by heartbeats.'},
            bases=['Model'],
        ),
    ]
