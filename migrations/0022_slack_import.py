"""Imports from Slack: accounts waiting to be claimed, the id mapping, and each run's progress."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0021_link_previews')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='imported_from',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.CreateModel(
            name='ImportedId',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(max_length=16)),
                ('kind', fields.CharField(max_length=8)),
                ('external_id', fields.CharField(max_length=64)),
                ('local_id', fields.IntField()),
            ],
            options={'table': 'imported_ids', 'app': 'models',
                     'unique_together': (('source', 'kind', 'external_id'),), 'pk_attr': 'id',
                     'table_description': 'Which id of another service became which of ours.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('source', fields.CharField(max_length=16)),
                ('file_name', fields.CharField(default='', max_length=255)),
                ('started_by', fields.ForeignKeyField('models.User', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name='import_runs', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharField(default='running', max_length=8)),
                ('days_total', fields.IntField(default=0)),
                ('days_done', fields.IntField(default=0)),
                ('report', fields.JSONField(default=dict)),
                ('error', fields.TextField(default='')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_runs', 'app': 'models', 'pk_attr': 'id',
                     'table_description': 'One import of an export: progress and report.'},
            bases=['Model'],
        ),
    ]
