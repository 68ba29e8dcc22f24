"""Invitations into private rooms: invite, accept, decline, revoke, and every refusal."""

from __future__ import annotations

from quart import Quart

from app.models import Invitation, Membership
from tests.helpers import Person, select, select_one


async def _invitation_id(room_id: int, invitee: Person) -> int:
    return (await Invitation.get(room_id=room_id, invitee_id=invitee.user_id)).id


async def test_an_invitee_accepts_posts_and_reads_the_full_history(alice: Person,
                                                                   bob: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")
    await alice.say(room_id, "said before bob was invited")

    invited = await alice.invite(room_id, "bob")
    rooms_page = await (await bob.get("/rooms")).get_data()
    invitation = select_one(rooms_page, "#invitations .invitation")
    accepted = await bob.post(select_one(str(invitation), "form[action$='/acceptance']")["action"])
    posted = await bob.say(room_id, "glad to be here")
    room_page = await (await bob.get(f"/rooms/{room_id}")).get_data()

    assert invited.status_code == 303
    assert select_one(str(invitation), ".room-name").text == "secret plans"
    assert select_one(str(invitation), ".inviter").text == "alice"
    assert "whole history" in invitation.text
    assert accepted.status_code == 303
    assert accepted.headers["Location"] == f"/rooms/{room_id}"
    assert posted.status_code == 303
    assert [b.text for b in select(room_page, ".message .body")] == [
        "said before bob was invited", "glad to be here"]
    assert not await Invitation.exists(room_id=room_id)


async def test_the_inviter_sees_the_pending_invitation_and_the_invitee_its_notice(
        alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    await alice.invite(room_id, "BOB")

    room_page = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert select_one(room_page, ".pending-invitation .invitee").text == "bob"
    assert select(room_page, ".pending-invitation form[action$='/revocation']")
    assert len(select(await (await bob.get("/rooms")).get_data(), ".invitation")) == 1


async def test_a_member_who_is_not_the_owner_can_invite_too(alice: Person, bob: Person,
                                                            mallory: Person,
                                                            private_room: int) -> None:
    response = await bob.invite(private_room, "mallory")

    invitation = await Invitation.get(room_id=private_room).prefetch_related("inviter")
    assert response.status_code == 303
    assert invitation.inviter.username == "bob"


async def test_a_declined_invitation_is_gone_and_grants_nothing(alice: Person,
                                                                bob: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")
    await alice.invite(room_id, "bob")

    response = await bob.post(f"/invitations/{await _invitation_id(room_id, bob)}/decline")

    assert response.status_code == 303
    assert not await Invitation.exists(room_id=room_id)
    assert not select(await (await bob.get("/rooms")).get_data(), ".invitation")
    assert (await bob.get(f"/rooms/{room_id}")).status_code == 404


async def test_the_sender_can_revoke_an_invitation_before_it_is_accepted(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await bob.invite(private_room, "mallory")
    invitation_id = await _invitation_id(private_room, mallory)

    revoked = await bob.post(f"/invitations/{invitation_id}/revocation")
    too_late = await mallory.post(f"/invitations/{invitation_id}/acceptance")

    assert revoked.status_code == 303
    assert too_late.status_code == 404
    assert not await Membership.exists(room_id=private_room, user_id=mallory.user_id)


async def test_the_owner_can_revoke_an_invitation_someone_else_sent(
        alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    await bob.invite(private_room, "mallory")

    response = await alice.post(
        f"/invitations/{await _invitation_id(private_room, mallory)}/revocation")

    assert response.status_code == 303
    assert not await Invitation.exists(room_id=private_room)


async def test_a_member_who_neither_sent_it_nor_owns_the_room_cannot_revoke(
        app: Quart, alice: Person, bob: Person, mallory: Person, private_room: int) -> None:
    carol = Person(app, "carol")
    await carol.sign_up()
    await alice.invite(private_room, "carol")

    response = await bob.post(
        f"/invitations/{await _invitation_id(private_room, carol)}/revocation")

    assert response.status_code == 403
    assert await Invitation.exists(room_id=private_room)


async def test_the_invitee_cannot_revoke_and_others_cannot_answer(alice: Person, bob: Person,
                                                                  mallory: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")
    await alice.invite(room_id, "bob")
    invitation_id = await _invitation_id(room_id, bob)

    by_invitee = await bob.post(f"/invitations/{invitation_id}/revocation")
    by_owner = await alice.post(f"/invitations/{invitation_id}/acceptance")
    by_outsider = await mallory.post(f"/invitations/{invitation_id}/decline")

    assert (by_invitee.status_code, by_owner.status_code, by_outsider.status_code) == \
        (403, 403, 404)
    assert await Invitation.exists(id=invitation_id)
    assert not await Membership.exists(room_id=room_id, user_id=bob.user_id)


async def test_inviting_an_existing_member_is_refused_with_a_clear_message(
        alice: Person, bob: Person, private_room: int) -> None:
    response = await alice.invite(private_room, "bob")

    assert response.status_code == 400
    assert select_one(await response.get_data(), "#username-error").text == \
        "bob is already a member of this room."


async def test_inviting_yourself_is_refused(alice: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    response = await alice.invite(room_id, "alice")

    assert response.status_code == 400
    assert "already a member" in select_one(await response.get_data(), "#username-error").text
    assert not await Invitation.exists(room_id=room_id)


async def test_inviting_an_unknown_user_is_refused_and_the_name_escaped(alice: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    response = await alice.invite(room_id, "<b>nobody</b>")

    html = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert select_one(html, "#username-error").text == "There is no user called “<b>nobody</b>”."
    assert "<b>nobody</b>" not in html
    assert select_one(html, "#invite-username")["value"] == "<b>nobody</b>"


async def test_inviting_twice_is_refused(alice: Person, bob: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")
    await alice.invite(room_id, "bob")

    response = await alice.invite(room_id, "bob", htmx=True)

    assert response.status_code == 422  # htmx swaps 422 so the message shows
    assert select_one(await response.get_data(), "#username-error").text == \
        "bob has already been invited."
    assert await Invitation.filter(room_id=room_id).count() == 1


async def test_an_outsider_cannot_invite_into_a_private_room(alice: Person, bob: Person,
                                                             mallory: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    response = await mallory.invite(room_id, "bob")

    assert response.status_code == 404
    assert not await Invitation.exists(room_id=room_id)


async def test_public_rooms_take_no_invitations(alice: Person, bob: Person, room_id: int) -> None:
    response = await alice.invite(room_id, "mallory")

    assert response.status_code == 403
    assert not await Invitation.exists(room_id=room_id)


async def test_username_search_suggests_matching_names_but_not_your_own(
        app: Quart, alice: Person, bob: Person) -> None:
    bobby = Person(app, "Bobby")
    await bobby.sign_up()

    by_q = await alice.get("/users/search?q=BO")
    by_field = await alice.get("/users/search?username=bobb")
    mine = await alice.get("/users/search?q=ali")

    assert [o["value"] for o in select(await by_q.get_data(), "option")] == ["bob", "Bobby"]
    assert [o["value"] for o in select(await by_field.get_data(), "option")] == ["Bobby"]
    assert select(await mine.get_data(), "option") == []


async def test_the_invite_field_searches_as_you_type_and_works_as_a_plain_form(
        alice: Person) -> None:
    room_id = await alice.create_room("secret plans", visibility="private")

    page = await (await alice.get(f"/rooms/{room_id}")).get_data()

    form = select_one(page, f"form[action='/rooms/{room_id}/invitations']")
    field = select_one(str(form), "input[name=username]")
    assert form["method"] == "post" and select(str(form), "input[name=csrf_token]")
    assert field["hx-get"] == "/users/search"
    assert select_one(page, f"datalist#{field['list']}")


async def _carol_invited_by_bob(app: Quart, private_room: int, bob: Person) -> Person:
    carol = Person(app, "carol")
    await carol.sign_up()
    assert (await bob.invite(private_room, "carol")).status_code == 303
    return carol


async def test_invitations_die_with_their_senders_membership(app: Quart, alice: Person,
                                                             bob: Person,
                                                             private_room: int) -> None:
    carol = await _carol_invited_by_bob(app, private_room, bob)
    invitation_id = await _invitation_id(private_room, carol)

    removed = await alice.post(f"/rooms/{private_room}/members/{bob.user_id}/removal")
    accepted = await carol.post(f"/invitations/{invitation_id}/acceptance")
    room_page = await carol.get(f"/rooms/{private_room}")

    assert removed.status_code == 303
    assert select(await (await carol.get("/rooms")).get_data(), "#invitations .invitation") == []
    assert accepted.status_code == 404
    assert room_page.status_code == 404
    assert not await Membership.exists(room_id=private_room, user_id=carol.user_id)


async def test_an_invitation_whose_sender_left_is_refused_at_acceptance(app: Quart, bob: Person,
                                                                        private_room: int) -> None:
    from app.actions.invitations import WITHDRAWN

    carol = await _carol_invited_by_bob(app, private_room, bob)
    invitation_id = await _invitation_id(private_room, carol)
    # As if bob had gone before invitations died with their sender (rows from an older version).
    await Membership.filter(room_id=private_room, user_id=bob.user_id).delete()

    accepted = await carol.post(f"/invitations/{invitation_id}/acceptance")

    assert accepted.status_code == 403
    assert select_one(await accepted.get_data(), ".error-page p").text == WITHDRAWN
    assert not await Membership.exists(room_id=private_room, user_id=carol.user_id)
    assert not await Invitation.exists(id=invitation_id)


async def test_a_member_who_leaves_takes_their_invitations_along(app: Quart, bob: Person,
                                                                 private_room: int) -> None:
    carol = await _carol_invited_by_bob(app, private_room, bob)

    left = await bob.post(f"/rooms/{private_room}/membership/deletion")

    assert left.status_code == 303
    assert not await Invitation.exists(room_id=private_room, invitee_id=carol.user_id)


async def test_an_invitation_shows_in_the_sidebar_of_every_page_with_working_forms(
        alice: Person, bob: Person, room_id: int) -> None:
    private = await alice.create_room("leads", "Sales leads", visibility="private")
    await alice.invite(private, "bob")

    for path in (f"/rooms/{room_id}", "/profile", "/dm"):
        page = await (await bob.get(path)).get_data()
        section = select_one(page, "#sidebar #invitations")
        assert not section.has_attr("hidden"), path
        assert select_one(str(section), ".invitation .room-name").text == "leads"
        assert select_one(str(section), ".inviter").text == "alice"
        assert "(1)" in select_one(str(section), "#invitations-title").text
        assert select_one(page, "title").text.startswith("(1) ")  # counted in the tab title
        for form in select(str(section), "form"):  # plain forms, working without JavaScript
            assert form["method"] == "post" and select_one(str(form), "input[name=csrf_token]")
    nothing = await (await alice.get(f"/rooms/{room_id}")).get_data()
    assert select_one(nothing, "#invitations").has_attr("hidden")


async def test_accepting_with_htmx_answers_in_place_with_the_sidebar_parts_that_changed(
        alice: Person, bob: Person, room_id: int) -> None:
    private = await alice.create_room("leads", visibility="private")
    await alice.invite(private, "bob")

    response = await bob.post(f"/invitations/{await _invitation_id(private, bob)}/acceptance",
                              htmx=True, headers={
                                  "HX-Current-URL": f"http://localhost/rooms/{room_id}"})

    html = await response.get_data()
    assert response.status_code == 200
    assert select_one(html, "#invitations").has_attr("hidden")
    assert select_one(html, "#invitations").get("hx-swap-oob") is None  # the form's own target
    rooms = select_one(html, "#sidebar-rooms[hx-swap-oob]")
    assert select(str(rooms), f"a[data-room-id='{private}']")
    # The room bob is looking at stays marked as the current page.
    assert select_one(str(rooms), "a[aria-current=page]")["href"] == f"/rooms/{room_id}#latest"
    outcome = select_one(html, "#invitation-outcome")
    assert outcome.text.startswith("You joined “leads”.")
    assert select_one(str(outcome), "a")["href"] == f"/rooms/{private}"
    assert await Membership.exists(room_id=private, user_id=bob.user_id)


async def test_declining_with_htmx_answers_in_place_and_grants_nothing(alice: Person,
                                                                      bob: Person) -> None:
    private = await alice.create_room("leads", visibility="private")
    await alice.invite(private, "bob")

    response = await bob.post(f"/invitations/{await _invitation_id(private, bob)}/decline",
                              htmx=True)

    html = await response.get_data()
    assert response.status_code == 200
    assert select_one(html, "#invitation-outcome").text == \
        "You declined the invitation to “leads”."
    assert not select(html, f"a[data-room-id='{private}']")
    assert not await Membership.exists(room_id=private, user_id=bob.user_id)
    assert not await Invitation.exists(room_id=private)


async def test_nobody_answers_someone_elses_invitation_in_place_either(
        alice: Person, bob: Person, mallory: Person) -> None:
    private = await alice.create_room("leads", visibility="private")
    await alice.invite(private, "bob")
    invitation_id = await _invitation_id(private, bob)

    declined = await mallory.post(f"/invitations/{invitation_id}/decline", htmx=True)
    accepted = await mallory.post(f"/invitations/{invitation_id}/acceptance", htmx=True)

    assert declined.status_code == accepted.status_code == 404
    assert await Invitation.exists(id=invitation_id)
    assert not await Membership.exists(room_id=private, user_id=mallory.user_id)
