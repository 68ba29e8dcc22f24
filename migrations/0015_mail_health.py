"""The instance's secrets in the database (so a dump restores them) and the mail server's health."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0014_push_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InstanceKeys',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('bus_id', fields.CharField(max_length=32)),
                ('secret_key', fields.CharField(max_length=128)),
                ('vapid_private_key', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'instance_keys', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "The instance's own secrets (row id 1)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailHealth',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True,
                                       db_index=True)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False,
                                                       auto_now_add=False)),
                ('error', fields.CharField(default='', max_length=500)),
                ('error_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_health', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'How talking to the mail server went lately.'},
            bases=['Model'],
        ),
    ]
