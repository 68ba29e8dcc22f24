from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.keys import KeyAlgorithm
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0003_images')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Conversation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('low_user', fields.ForeignKeyField('models.User', source_field='low_user_id', db_constraint=True, to_field='id', related_name='low_conversations', on_delete=OnDelete.CASCADE)),
                ('high_user', fields.ForeignKeyField('models.User', source_field='high_user_id', db_constraint=True, to_field='id', related_name='high_conversations', on_delete=OnDelete.CASCADE)),
                ('last_seq', fields.BigIntField(default=0)),
                ('low_read_seq', fields.BigIntField(default=0)),
                ('high_read_seq', fields.BigIntField(default=0)),
                ('last_message_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'conversations', 'app': 'models', 'unique_together': (('low_user', 'high_user'),), 'pk_attr': 'id', 'table_description': "Two users' private conversation; `low_user` has the smaller id, so a pair has one row."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PublicKey',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='public_keys', on_delete=OnDelete.CASCADE)),
                ('algorithm', fields.CharEnumField(description='X25519: X25519\nP256: P-256', enum_type=KeyAlgorithm, max_length=16)),
                ('public_key', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'public_keys', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One public key of a user; never deleted, so old messages name the key they were made with.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DirectMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('conversation', fields.ForeignKeyField('models.Conversation', source_field='conversation_id', db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.CASCADE)),
                ('sender', fields.ForeignKeyField('models.User', source_field='sender_id', db_constraint=True, to_field='id', related_name='sent_direct_messages', on_delete=OnDelete.CASCADE)),
                ('seq', fields.BigIntField()),
                ('client_msg_id', fields.CharField(max_length=64)),
                ('ciphertext', fields.TextField(unique=False)),
                ('iv', fields.CharField(max_length=24)),
                ('salt', fields.CharField(max_length=64)),
                ('sender_key', fields.ForeignKeyField('models.PublicKey', source_field='sender_key_id', db_constraint=True, to_field='id', related_name='sent_messages', on_delete=OnDelete.RESTRICT)),
                ('recipient_key', fields.ForeignKeyField('models.PublicKey', source_field='recipient_key_id', db_constraint=True, to_field='id', related_name='received_messages', on_delete=OnDelete.RESTRICT)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'direct_messages', 'app': 'models', 'unique_together': (('conversation', 'seq'), ('conversation', 'client_msg_id')), 'pk_attr': 'id', 'table_description': 'An encrypted private message: the server holds ciphertext and the key ids it was made with.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='KeyBackup',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.OneToOneField('models.PublicKey', source_field='key_id', db_constraint=True, to_field='id', related_name='backup', on_delete=OnDelete.CASCADE)),
                ('wrapped_key', fields.CharField(max_length=700)),
                ('salt', fields.CharField(max_length=90)),
                ('iv', fields.CharField(max_length=24)),
                ('iterations', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'key_backups', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A private key wrapped in the browser with a passphrase (PBKDF2 + AES-GCM); opaque here.'},
            bases=['Model'],
        ),
    ]
