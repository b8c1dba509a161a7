"""Template tags shared by every app."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("_breadcrumbs.html")
def breadcrumbs(*parts: Any) -> dict[str, Any]:
    """DKFDS breadcrumbs after "Forside": label, url, label, url, …, current label.

    `{% breadcrumbs _("Møder") meetings_url meeting.title %}` gives Forside › Møder › <title>.
    """
    links = [(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    current = parts[-1] if len(parts) % 2 == 1 else None
    return {"links": links, "current": current}
