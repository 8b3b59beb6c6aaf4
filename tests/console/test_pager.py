"""The list pages' pager (``_pager.html``): its links carry the page's filters as sent."""

import html
import re
from urllib.parse import parse_qs, urlsplit

from api.console.web import templates


def _links(**values: object) -> dict[str, dict[str, list[str]]]:
    page = templates.get_template("_pager.html").render(_=lambda s: s, **values)
    return {
        label: parse_qs(urlsplit(html.unescape(href)).query)
        for href, label in re.findall(r'<a href="([^"]*)">([^<]*)</a>', page)
    }


def test_the_pager_links_carry_a_search_with_reserved_characters_as_typed():
    """A search for ``A&B #1 50%+`` (a waybill, say): the next and previous pages search for the
    same text, not ``A`` with a stray ``B`` parameter and the rest cut off at ``#``."""
    typed = "A&B #1 50%+ 走私"
    links = _links(
        filters={"q": typed, "county": "", "status": "open"},
        offset=50,
        size=50,
        total=200,
        more=False,
        rows=[{}] * 50,
    )
    assert links["Next"] == {"q": [typed], "status": ["open"], "offset": ["100"]}
    assert links["Previous"] == {"q": [typed], "status": ["open"], "offset": ["0"]}


def test_the_pager_without_filters_links_by_offset_alone():
    links = _links(filters={}, offset=0, size=50, total=51, more=False, rows=[{}] * 50)
    assert set(links) == {"Next"}
    assert links["Next"] == {"offset": ["50"]}
