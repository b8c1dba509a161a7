"""Rich text of agendas and minutes, sanitised with nh3 on the way in.

The allowlist is what minutes need: paragraphs, emphasis, lists ("at ..." points), links, small
headings and simple tables. Everything else (scripts, styles, images, event handlers, classes)
is dropped; links get rel="noopener noreferrer" and only http(s)/mailto targets.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "strong",
        "em",
        "b",
        "i",
        "u",
        "ul",
        "ol",
        "li",
        "a",
        "h3",
        "h4",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Tags whose content is dropped along with the tag, not kept as text.
DROPPED_WITH_CONTENT = frozenset({"script", "style"})


def sanitize_html(html: str) -> str:
    """The fragment with only the allowed tags and attributes, trimmed. Idempotent."""
    if not html or not html.strip():
        return ""
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return cleaned.strip()
