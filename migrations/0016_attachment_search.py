"""Search finds messages by the name of their attached file: an expression GIN index on the
names (the same to_tsvector('simple', ...) the search uses) and an index from a message to its
file, so the search joins from the matching files to their messages without a scan."""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('models', '0015_mail_health')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE INDEX attachments_name_search ON attachments "
            "USING gin (to_tsvector('simple', name))",
            reverse_sql="DROP INDEX attachments_name_search",
        ),
        ops.RunSQL(
            "CREATE INDEX messages_attachment_id ON messages (attachment_id) "
            "WHERE attachment_id IS NOT NULL",
            reverse_sql="DROP INDEX messages_attachment_id",
        ),
    ]
