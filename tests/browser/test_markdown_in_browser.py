"""The browser's Markdown (for end-to-end encrypted rooms) renders what the server renders."""

from __future__ import annotations

from bs4 import BeautifulSoup
from playwright.async_api import Browser

from app.formatting import render_markdown
from tests.browser.conftest import LiveServer
from tests.test_formatting import ATTACKS

SUBSET = ("**bold** _it_ ~~gone~~ `x < y`\n\n> quoted\n\n- one\n- two\n\n1. first\n\n"
          "```\nfn() <b>\n```\nsee https://example.com and [a link](https://example.org \"t\")\n"
          "# not a heading\n![a cat](https://example.com/cat.png) @Bob. [x](javascript:alert(1))\n"
          "\\@carol writes no mention")


def _normal(html: str) -> str:
    """The same HTML however its entities and void tags were spelled."""
    return str(BeautifulSoup(html, "html.parser"))


async def test_the_browser_renders_the_servers_subset_and_every_attack_the_same(
        browser: Browser, live_server: LiveServer) -> None:
    page = await browser.new_page()
    await page.goto(f"{live_server.url}/login")
    sources = {"subset": SUBSET, **ATTACKS}

    rendered = await page.evaluate("""async (sources) => {
        const { renderMarkdown } = await import("/static/js/markdown.js");
        return Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, renderMarkdown(v)]));
    }""", sources)

    server = {name: _normal(str(render_markdown(text))) for name, text in sources.items()
              if name != "shortcode"}  # :shortcodes: are the server's (emoji data lives there)
    assert {name: _normal(html) for name, html in rendered.items() if name != "shortcode"} == server
    await page.close()
