"""The posting statement's last check of a sealed message, made after it holds the room's lock.

`sealed_for_current_keys(room, envelope, seq)` raises `stale_keys` unless the envelope holds a
sealed key for exactly each member's current key. It is PL/pgSQL and VOLATILE, so under READ
COMMITTED its query takes a fresh snapshot: it sees a member added or removed (those take the
room's row lock) or a key published while the statement waited for the lock, which the
statement's own snapshot, taken before the wait, cannot. The exception rolls the whole
statement back, so the refused post takes no number.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops

CREATE = """
CREATE FUNCTION sealed_for_current_keys(room integer, envelope jsonb, seq bigint)
RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    -- `seq` (the number just taken) only ties the call to the locked row.
    IF envelope IS NOT NULL AND ARRAY(
            SELECT (SELECT max(k.id) FROM public_keys k WHERE k.user_id = m.user_id)
            FROM memberships m WHERE m.room_id = room ORDER BY 1)
        IS DISTINCT FROM ARRAY(
            SELECT (e ->> 'key')::int FROM jsonb_array_elements(envelope -> 'keys') AS e
            ORDER BY 1) THEN
        RAISE EXCEPTION 'stale_keys' USING HINT = 'parley: the members or their keys changed';
    END IF;
    RETURN true;
END
$$
"""


class Migration(migrations.Migration):
    dependencies = [('models', '0019_structure_outbox')]

    initial = False

    operations = [
        ops.RunSQL(CREATE, reverse_sql=(
            "DROP FUNCTION sealed_for_current_keys(integer, jsonb, bigint)")),
    ]
