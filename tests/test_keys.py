"""Public keys and passphrase-wrapped backups: shape checks, history, and who may read them."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from app.models import KeyBackup, PublicKey, User
from tests.helpers import Person, b64url, key_form, publish_key, start_direct


async def test_publishing_a_key_stores_it_with_its_wrapped_backup(alice: Person) -> None:
    form = key_form()

    response = await alice.post("/keys", form)

    body = await response.get_json()
    key = await PublicKey.get(id=body["id"])
    backup = await KeyBackup.get(key_id=key.id)
    assert response.status_code == 201
    assert (key.user_id, key.algorithm, key.public_key) == (alice.user_id, "X25519",
                                                            form["public_key"])
    assert (backup.wrapped_key, backup.salt, backup.iv, backup.iterations) == (
        form["wrapped_key"], form["salt"], form["iv"], 600_000)


async def test_a_p256_key_is_accepted_as_an_uncompressed_point(alice: Person) -> None:
    point = b64url(b"\x04" + os.urandom(64))
    compressed = b64url(b"\x02" + os.urandom(64))

    accepted = await alice.post("/keys", key_form(algorithm="P-256", public_key=point,
                                                  wrapped_key=b64url(os.urandom(154))))
    refused = await alice.post("/keys", key_form(algorithm="P-256", public_key=compressed))

    assert accepted.status_code == 201
    assert refused.status_code == 400


MALFORMED_KEYS = [
    ("algorithm", "RSA"),
    ("public_key", b64url(os.urandom(31))),
    ("public_key", b64url(os.urandom(33))),
    ("public_key", b64url(os.urandom(32)) + "="),
    ("public_key", "not base64url!"),
    ("wrapped_key", b64url(os.urandom(513))),
    ("wrapped_key", ""),
    ("salt", b64url(os.urandom(8))),
    ("iv", b64url(os.urandom(16))),
    ("iterations", "100000"),
    ("iterations", "many"),
]


async def test_each_malformed_key_or_backup_field_is_refused(alice: Person) -> None:
    refused = {}
    for field, value in MALFORMED_KEYS:
        response = await alice.post("/keys", key_form(**{field: value}))
        refused[field, value] = (response.status_code, list((await response.get_json())["errors"]))

    assert refused == {(field, value): (400, [field]) for field, value in MALFORMED_KEYS}
    assert await PublicKey.all().count() == 0
    assert await KeyBackup.all().count() == 0


async def test_refusals_do_not_echo_what_was_sent(alice: Person) -> None:
    secret_looking = b64url(os.urandom(400))

    response = await alice.post("/keys", key_form(public_key=secret_looking))

    assert secret_looking not in await response.get_data(as_text=True)


async def test_publishing_a_key_needs_the_csrf_token(alice: Person) -> None:
    response = await alice.client.post("/keys", form=key_form())

    assert response.status_code == 403
    assert await PublicKey.all().count() == 0


async def test_a_new_key_becomes_current_and_the_old_ones_stay_listed(alice: Person, bob: Person,
                                                                      room_id: int) -> None:
    first = await publish_key(alice)
    second = await publish_key(alice)

    keys = await (await bob.get("/users/alice/keys")).get_json()

    assert keys["current"] == second
    assert [k["id"] for k in keys["keys"]] == [first, second]
    assert keys["user_id"] == alice.user_id


async def test_someone_i_share_a_room_with_can_fetch_my_public_keys(alice: Person, bob: Person,
                                                                    room_id: int) -> None:
    await publish_key(alice)

    response = await bob.get("/users/alice/keys")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


async def test_public_keys_are_served_only_for_people_one_may_write_to(
        alice: Person, bob: Person, mallory: Person, room_id: int) -> None:
    await publish_key(alice)
    await publish_key(bob)
    await User.filter(id=bob.user_id).update(deactivated_at=datetime.now(UTC))

    anyone_active = await mallory.get("/users/alice/keys")  # no room shared: still a teammate
    deactivated = await mallory.get("/users/bob/keys")
    unknown = await mallory.get("/users/nobody/keys")

    assert anyone_active.status_code == 200
    assert deactivated.status_code == unknown.status_code == 404


async def test_my_key_backups_are_served_to_me_only(alice: Person, bob: Person,
                                                     room_id: int) -> None:
    alice_key = await publish_key(alice)
    bob_key = await publish_key(bob)

    mine = await (await alice.get("/keys/backup")).get_json()
    his = await (await bob.get("/keys/backup")).get_json()

    assert [b["id"] for b in mine["backups"]] == [alice_key]
    assert [b["id"] for b in his["backups"]] == [bob_key]
    assert set(mine["backups"][0]) >= {"algorithm", "public_key", "wrapped_key", "salt", "iv",
                                       "iterations"}


async def test_key_backups_need_a_login(app: object) -> None:
    client = app.test_client()  # type: ignore[attr-defined]

    response = await client.get("/keys/backup")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


async def test_a_key_is_published_without_a_backup_and_backed_up_later_once(alice: Person) -> None:
    form = key_form()
    backup = {f: form.pop(f) for f in ("wrapped_key", "salt", "iv", "iterations")}

    published = await alice.post("/keys", form)
    key_id = (await published.get_json())["id"]
    had_backup = await KeyBackup.exists(key_id=key_id)
    first = await alice.post(f"/keys/{key_id}/backup", backup)
    second = await alice.post(f"/keys/{key_id}/backup", backup)

    assert published.status_code == 201 and not had_backup
    assert first.status_code == 201
    assert second.status_code == 409
    assert await KeyBackup.filter(key_id=key_id).count() == 1


async def test_nobody_backs_up_someone_elses_key(alice: Person, bob: Person) -> None:
    form = key_form()
    backup = {f: form.pop(f) for f in ("wrapped_key", "salt", "iv", "iterations")}
    key_id = (await (await alice.post("/keys", form)).get_json())["id"]

    response = await bob.post(f"/keys/{key_id}/backup", backup)

    assert response.status_code == 404
    assert not await KeyBackup.exists(key_id=key_id)


async def test_a_direct_rooms_keys_are_its_members_and_past_authors(alice: Person, bob: Person,
                                                                    room_id: int) -> None:
    alice_key, bob_key = await publish_key(alice), await publish_key(bob)
    direct = await start_direct(alice, "bob")

    body = await (await bob.get(f"/rooms/{direct}/keys")).get_json()

    assert sorted(body["members"]) == sorted([alice.user_id, bob.user_id])
    assert body["people"][str(alice.user_id)]["current"] == alice_key
    assert [k["id"] for k in body["people"][str(bob.user_id)]["keys"]] == [bob_key]
