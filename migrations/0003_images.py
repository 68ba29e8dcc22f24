from tortoise import migrations
from tortoise.migrations import operations as ops
from app.models.media import MediaKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_private_rooms')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MediaFile',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='IMAGE: image\nAVATAR: avatar', enum_type=MediaKind, max_length=16)),
                ('key', fields.CharField(unique=True, max_length=32)),
                ('thumb_key', fields.CharField(unique=True, max_length=32)),
                ('format', fields.CharField(max_length=8)),
                ('content_type', fields.CharField(max_length=32)),
                ('byte_size', fields.IntField()),
                ('width', fields.IntField()),
                ('height', fields.IntField()),
                ('thumb_width', fields.IntField()),
                ('thumb_height', fields.IntField()),
                ('owner', fields.ForeignKeyField('models.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='media_files', on_delete=OnDelete.CASCADE)),
                ('room', fields.ForeignKeyField('models.Room', source_field='room_id', null=True, db_constraint=True, to_field='id', related_name='media_files', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'media_files', 'app': 'models', 'pk_attr': 'id', 'table_description': 'One upload: a full-size re-encode under `key` and a smaller rendition under `thumb_key`.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Message',
            name='image',
            field=fields.ForeignKeyField('models.MediaFile', source_field='image_id', null=True, db_constraint=True, to_field='id', related_name='messages', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='User',
            name='avatar_key',
            field=fields.CharField(null=True, max_length=32),
        ),
        ops.AddField(
            model_name='User',
            name='avatar_thumb_key',
            field=fields.CharField(null=True, max_length=32),
        ),
    ]
