"""Link previews: one fetched card per URL (link_previews) and each message's first link."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from app.models.link_preview import LinkState, PreviewStatus


class Migration(migrations.Migration):
    dependencies = [('models', '0020_structure_sealed_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkPreview',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('url', fields.CharField(unique=True, max_length=2048)),
                ('status', fields.CharEnumField(PreviewStatus, max_length=16)),
                ('fetched_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('title', fields.CharField(default='', max_length=300)),
                ('description', fields.CharField(default='', max_length=600)),
                ('site_name', fields.CharField(default='', max_length=120)),
                ('image', fields.ForeignKeyField('models.MediaFile', source_field='image_id',
                                                 null=True, db_constraint=True, to_field='id',
                                                 related_name='link_previews',
                                                 on_delete=OnDelete.SET_NULL)),
                ('error', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'link_previews', 'app': 'models', 'pk_attr': 'id',
                     'table_description': "What one URL's page says about itself, fetched once and "
                                          "shared by every message."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MessageLink',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True,
                                          db_index=True)),
                ('message', fields.OneToOneField('models.Message', source_field='message_id',
                                                 db_constraint=True, to_field='id',
                                                 related_name='link',
                                                 on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2048)),
                ('state', fields.CharEnumField(LinkState, default=LinkState.PENDING,
                                               max_length=16)),
                ('preview', fields.ForeignKeyField('models.LinkPreview',
                                                   source_field='preview_id', null=True,
                                                   db_constraint=True, to_field='id',
                                                   related_name='message_links',
                                                   on_delete=OnDelete.SET_NULL)),
                ('not_before', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'message_links', 'app': 'models',
                     'indexes': [Index(fields=['state', 'not_before'])], 'pk_attr': 'id',
                     'table_description': "A room message's first link, and its card's state; a "
                                          "PENDING row is the fetch job."},
            bases=['Model'],
        ),
    ]
