from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.instance import SignupPolicy
from app.models.notification import NotificationKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0008_direct_rooms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Instance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(default='Parley', max_length=60)),
                ('signup_policy', fields.CharEnumField(default=SignupPolicy.LINK, description='LINK: link\nOPEN: open\nCLOSED: closed', enum_type=SignupPolicy, max_length=8)),
                ('join_token', fields.CharField(max_length=64)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'instance', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The single settings row (id 1), made on first use.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('creator', fields.ForeignKeyField('models.User', source_field='creator_id', db_constraint=True, to_field='id', related_name='webhooks_created', on_delete=OnDelete.CASCADE)),
                ('bot', fields.ForeignKeyField('models.User', source_field='bot_id', db_constraint=True, to_field='id', related_name='webhook', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=32)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhooks', 'app': 'models', 'pk_attr': 'id', 'table_description': "A room's incoming webhook; only the SHA-256 of its token is stored."},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Notification',
            name='kind',
            field=fields.CharEnumField(description='DIRECT_MESSAGE: direct_message\nMENTION: mention\nROOM_MESSAGE: room_message\nINVITATION: invitation\nPASSWORD_RESET: password_reset\nVERIFY_EMAIL: verify_email', enum_type=NotificationKind, max_length=16),
        ),
        ops.AddField(
            model_name='User',
            name='deactivated_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='email_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='User',
            name='is_admin',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='User',
            name='is_bot',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        # An instance upgraded from before administrators: its first account runs it, and the
        # addresses people already get mail at keep getting it (they were accepted before
        # verification existed).
        ops.RunSQL(
            "UPDATE users SET is_admin = true WHERE id = (SELECT min(id) FROM users)",
            reverse_sql="SELECT 1",
        ),
        ops.RunSQL(
            "UPDATE users SET email_verified_at = now()",
            reverse_sql="SELECT 1",
        ),
    ]
