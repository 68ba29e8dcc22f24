from tortoise import migrations
from tortoise.migrations import operations as ops
from enum import StrEnum

from tortoise.fields.base import OnDelete
from tortoise import fields


class Visibility(StrEnum):
    """The room kinds as they were at this migration (the live enum, RoomKind, has grown)."""

    PUBLIC = "public"
    PRIVATE = "private"


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='ThrottleHit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(db_index=True, max_length=160)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'throttle_hits', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One counted attempt under a key such as `login-user:alice` or `signup-ip:10.0.0.1`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('username', fields.CharField(max_length=32)),
                ('username_key', fields.CharField(unique=True, max_length=32)),
                ('email', fields.CharField(max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person with an account; `username_key` is the lower-cased name that keeps names unique.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Room',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=80)),
                ('topic', fields.CharField(default='', max_length=250)),
                ('visibility', fields.CharEnumField(default=Visibility.PUBLIC, description='PUBLIC: public\nPRIVATE: private', enum_type=Visibility, max_length=16)),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_rooms', on_delete=OnDelete.SET_NULL)),
                ('last_seq', fields.BigIntField(default=0)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('archived_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rooms', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A chat room; `last_seq` is bumped under the row lock to number its messages.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Membership',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='memberships', on_delete=OnDelete.CASCADE)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_read_seq', fields.BigIntField(default=0)),
            ],
            options={'table': 'memberships', 'app': 'models', 'unique_together': (('room', 'user'),), 'pk_attr': 'id', 'table_description': "A user's place in a room; `last_read_seq` drives unread counts."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Message',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField()),
                ('client_msg_id', fields.CharField(max_length=64)),
                ('body', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'messages', 'app': 'models', 'unique_together': (('room', 'seq'), ('room', 'client_msg_id')), 'pk_attr': 'id', 'table_description': 'A posted message; (room, seq) orders it and (room, client_msg_id) makes retries safe.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Session',
            fields=[
                ('id', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'sessions', 'app': 'models', 'pk_attr': 'id', 'table_description': "One logged-in browser: its random id is quart-auth's auth_id, so logout can revoke it."},
            bases=['Model'],
        ),
    ]
