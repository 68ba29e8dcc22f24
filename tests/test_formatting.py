"""Message formatting: the Markdown subset renders, and no construct lets markup or script in."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from app.formatting import render_markdown
from app.mentions import mentioned_names

ATTACKS = {
    "raw html": "<img src=x onerror=alert(1)><script>alert(2)</script>",
    "bold": "**<script>alert(1)</script>**",
    "italic": "_<img src=x onerror=alert(1)>_",
    "strike": "~~<svg onload=alert(1)>~~",
    "inline code": "`<script>alert(1)</script>`",
    "fenced code": "```html\n<script>alert(1)</script>\n```",
    "fenced code info": "```\"><script>alert(1)</script>\nx\n```",
    "quote": "> <iframe src=javascript:alert(1)>",
    "list": "- <b onmouseover=alert(1)>x</b>\n1. <a href=javascript:alert(1)>y</a>",
    "link text": "[<img src=x onerror=alert(1)>](https://example.com)",
    "link title": '[x](https://example.com "a\\" onmouseover=\\"alert(1)")',
    "javascript link": "[click](javascript:alert(1))",
    "javascript link upper": "[click](JAVASCRIPT:alert(1))",
    "javascript link entity": "[click](jav&#x61;script:alert(1))",
    "data link": "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "vbscript link": "[click](vbscript:msgbox(1))",
    "autolink": "<javascript:alert(1)>",
    "bare url": "https://example.com/\"><script>alert(1)</script>",
    "image": "![x\" onerror=\"alert(1)](https://evil.example/x.png)",
    "javascript image": "![x](javascript:alert(1))",
    "mention": "@<script>alert(1)</script> @bob\"onclick=alert(1)",
    "shortcode": ":tada:<script>alert(1)</script>:+1:",
    "reference link": "[x][1]\n\n[1]: javascript:alert(1)",
}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


@pytest.mark.parametrize("source", ATTACKS.values(), ids=ATTACKS.keys())
def test_no_construct_lets_markup_or_script_through(source: str) -> None:
    soup = BeautifulSoup(str(render_markdown(source)), "html.parser")

    tags = {tag.name for tag in soup.find_all(True)}
    assert tags <= {"p", "strong", "em", "s", "code", "pre", "blockquote", "ul", "ol", "li",
                    "a", "span", "br"}
    for tag in soup.find_all(True):
        assert not [name for name in tag.attrs if name.startswith("on")]
    for link in soup.find_all("a"):
        assert link["href"].startswith(SAFE_SCHEMES)
        assert link["rel"] == ["noopener", "nofollow"]
    assert not soup.find("img")


def test_the_subset_renders_what_people_type() -> None:
    html = render_markdown("**bold** _it_ ~~gone~~ `x < y`\n\n> quoted\n\n- one\n- two\n\n"
                           "```\nfn()\n```\nsee https://example.com")
    soup = BeautifulSoup(str(html), "html.parser")

    assert soup.strong.text == "bold"
    assert soup.em.text == "it"
    assert soup.s.text == "gone"
    assert soup.find("code").text == "x < y"
    assert soup.blockquote.text.strip() == "quoted"
    assert [li.text for li in soup.find_all("li")] == ["one", "two"]
    assert soup.pre.code.text == "fn()\n"
    assert soup.find("a", href="https://example.com").text == "https://example.com"


def test_images_become_links_and_dangerous_links_stay_text() -> None:
    image = BeautifulSoup(str(render_markdown("![a cat](https://example.com/cat.png)")),
                          "html.parser")
    script = BeautifulSoup(str(render_markdown("[click](javascript:alert(1))")), "html.parser")

    assert image.a["href"] == "https://example.com/cat.png"
    assert image.a.text == "a cat"
    assert not image.find("img")
    assert "!" not in image.text
    assert script.a is None
    assert script.text.strip() == "[click](javascript:alert(1))"


def test_headings_and_rules_stay_text_and_lines_keep_their_breaks() -> None:
    soup = BeautifulSoup(str(render_markdown("# not a heading\n---\nline one\nline two")),
                         "html.parser")

    assert not soup.find(["h1", "h2", "hr"])
    assert "# not a heading" in soup.text
    assert soup.find("br")


def test_shortcodes_become_emoji_outside_code_and_mentions_are_marked() -> None:
    soup = BeautifulSoup(str(render_markdown("Ship it :tada: :+1: `:tada:` @Bob.")),
                         "html.parser")

    assert soup.p.text.startswith("Ship it 🎉 👍 ")
    assert soup.code.text == ":tada:"
    mention = soup.find("span", class_="mention")
    assert (mention.text, mention["data-username"]) == ("@Bob", "bob")


def test_a_backslash_before_the_at_writes_a_name_without_mentioning_anyone() -> None:
    body = r"ping \@bob and **\@channel**, not @carol"

    soup = BeautifulSoup(str(render_markdown(body)), "html.parser")

    assert soup.p.text == "ping @bob and @channel, not @carol"
    assert [m["data-username"] for m in soup.find_all("span", class_="mention")] == ["carol"]
    assert mentioned_names(body) == {"carol"}
