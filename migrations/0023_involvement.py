"""A member's per-room e-mail setting becomes their involvement in the room.

`involvement` (everything, mentions, nothing, invisible) decides the sidebar badge, browser
notifications, Web Push and e-mail alike. Each member keeps the e-mail they had: "all" becomes
everything, "mentions" stays mentions, "none" becomes nothing.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from app.models.room import Involvement


class Migration(migrations.Migration):
    dependencies = [('models', '0022_slack_import')]

    initial = False

    operations = [
        ops.RenameField(model_name='Membership', old_name='email_mode', new_name='involvement'),
        ops.AlterField(
            model_name='Membership',
            name='involvement',
            field=fields.CharEnumField(default=Involvement.MENTIONS, enum_type=Involvement,
                                       max_length=10),
        ),
        ops.RunSQL(
            "UPDATE memberships SET involvement = CASE involvement WHEN 'all' THEN 'everything' "
            "WHEN 'none' THEN 'nothing' ELSE involvement END",
            reverse_sql="UPDATE memberships SET involvement = CASE involvement "
                        "WHEN 'everything' THEN 'all' WHEN 'mentions' THEN 'mentions' "
                        "ELSE 'none' END",
        ),
    ]
