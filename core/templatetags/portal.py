"""Template tags shared by every app."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django import template
from django.utils.html import strip_tags

register = template.Library()


@register.inclusion_tag("_breadcrumbs.html")
def breadcrumbs(*parts: Any) -> dict[str, Any]:
    """DKFDS breadcrumbs after "Forside": label, url, label, url, …, current label.

    `{% breadcrumbs _("Møder") meetings_url meeting.title %}` gives Forside › Møder › <title>.
    """
    links = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    current = parts[-1] if len(parts) % 2 == 1 else None
    return {"links": links, "current": current}


_PARAGRAPH_END = re.compile(r"(?i)</(p|h[1-6]|blockquote|ul|ol|table)>")
_LINE_END = re.compile(r"(?i)<br\s*/?>|</(li|tr)>")
_LIST_ITEM = re.compile(r"(?i)<li[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


@register.filter
def as_text(html: str) -> str:
    """Sanitised rich text as plain text for the text part of a mail: paragraphs and list items
    on lines of their own, tags dropped, entities decoded (the .txt templates do not escape)."""
    if not html:
        return ""
    text = _LIST_ITEM.sub("- ", str(html))
    text = _LINE_END.sub("\n", _PARAGRAPH_END.sub("\n\n", text))
    text = unescape(strip_tags(text))
    lines = [line.strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
