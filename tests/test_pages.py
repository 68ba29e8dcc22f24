"""Pages around the chat: errors in the app's look, and the page about JavaScript."""

from __future__ import annotations

from quart import Quart

from tests.helpers import Person, select, select_one


async def test_an_unknown_page_is_a_404_in_the_apps_look(alice: Person) -> None:
    response = await alice.get("/no/such/page")

    html = await response.get_data()
    assert response.status_code == 404
    assert select_one(html, "main .error-page h1").get_text() == "Not found"
    assert select(html, "nav.sidebar")  # the usual chrome, with the way back


async def test_renaming_a_room_you_do_not_own_is_a_403_in_the_apps_look(bob: Person,
                                                                           room_id: int) -> None:
    response = await bob.post(f"/rooms/{room_id}", {"name": "bob's now"})

    html = await response.get_data()
    assert response.status_code == 403
    assert select_one(html, "main .error-page h1").get_text() == "Not allowed"


async def test_an_unexpected_error_is_a_500_page_in_the_apps_look_without_details(
        app: Quart) -> None:
    async with app.test_request_context("/rooms") as ctx:
        response = await app.make_response(
            await app.handle_exception(ctx, RuntimeError("secret internals")))

    html = await response.get_data()
    assert response.status_code == 500
    assert select_one(html, "main .error-page h1").get_text() == "Something went wrong"
    assert "secret internals" not in html.decode()
    assert select_one(html, ".error-page a")["href"] == "/rooms"


async def test_anyone_can_read_when_parley_needs_javascript(app: Quart) -> None:
    visitor = app.test_client()

    response = await visitor.get("/help/javascript")

    html = await response.get_data()
    assert response.status_code == 200
    assert select_one(html, "main h1").get_text() == "When Parley needs JavaScript"
    assert "Private messages." in select_one(html, "main strong").get_text()


async def test_the_private_message_pages_link_to_it_for_people_without_javascript(
        alice: Person) -> None:
    response = await alice.get("/dm")

    link = select_one(await response.get_data(), "noscript a[href='/help/javascript']")
    assert link.get_text() == "When Parley needs JavaScript"
