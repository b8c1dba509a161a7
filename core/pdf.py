"""PDF rendering with WeasyPrint, in the DKFDS typeface.

Only DejaVu is installed system-wide, so IBM Plex Sans — which ships with dkfds in node_modules —
is loaded through @font-face rules this module adds to every document. Templates simply say
`font-family: "IBM Plex Sans"` (also inside @page margin boxes, which do not inherit from the body).

The HTML is ours, but its rich text was typed by people: the URL fetcher reads the font files and
nothing else (no network, no other local files). WeasyPrint takes a second or two to import, so
it is imported inside `render_pdf`, never when a view or model module is loaded.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

__all__ = ["FONT_FAMILY", "font_dir", "font_face_css", "render_pdf"]

FONT_FAMILY = "IBM Plex Sans"

# (file stem, font-weight, font-style) of the faces the documents use.
_FACES = (
    ("IBMPlexSans-Regular", 400, "normal"),
    ("IBMPlexSans-Italic", 400, "italic"),
    ("IBMPlexSans-SemiBold", 600, "normal"),
    ("IBMPlexSans-SemiBoldItalic", 600, "italic"),
    ("IBMPlexSans-Bold", 700, "normal"),
    ("IBMPlexSans-BoldItalic", 700, "italic"),
)


def font_dir() -> Path:
    """Where the TrueType files of IBM Plex Sans are: `PDF_FONT_DIR`, or dkfds' own copy."""
    configured = getattr(settings, "PDF_FONT_DIR", None)
    if configured:
        return Path(configured).resolve()
    return (
        (Path(settings.BASE_DIR) / "node_modules" / "dkfds" / "dist" / "fonts" / "IBMPlexSans")
        .joinpath("complete", "ttf")
        .resolve()
    )


@cache
def _font_face_css(directory: Path) -> str:
    rules = []
    for stem, weight, style in _FACES:
        path = directory / f"{stem}.ttf"
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is missing: the PDFs need IBM Plex Sans from dkfds (npm ci)."
            )
        rules.append(
            "@font-face {"
            f' font-family: "{FONT_FAMILY}"; src: url("{path.as_uri()}") format("truetype");'
            f" font-weight: {weight}; font-style: {style}; }}"
        )
    return "\n".join(rules)


def font_face_css() -> str:
    """@font-face rules for IBM Plex Sans with file:// URLs. Raises FileNotFoundError if the
    fonts are missing: a PDF silently set in the fallback font is a bug, not a degradation."""
    return _font_face_css(font_dir())


def _fetcher(allowed: Path) -> Any:
    from weasyprint.urls import URLFetcher

    class FontsOnlyFetcher(URLFetcher):
        """Fetch the font files and data: URLs; refuse everything else (network, other files)."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file:"):
                from urllib.request import url2pathname

                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if path.is_relative_to(allowed):
                    return super().fetch(url, headers)
            raise ValueError(f"PDF rendering does not fetch {url[:100]}")

    return FontsOnlyFetcher(allowed_protocols=("file", "data"), fail_on_errors=False)


def render_pdf(html: str, *, base_url: str | None = None, pdf_tags: bool = True) -> bytes:
    """Render an HTML document to PDF bytes, with IBM Plex Sans available.

    `base_url` resolves relative links (give the portal's address, so links in the PDF point
    at it); nothing is fetched from it. The document's title, language and author come from
    the HTML (`<title>`, `<html lang>`, `<meta name="author">`). `pdf_tags` makes a tagged PDF
    (structure for screen readers).
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = font_dir()
    font_config = FontConfiguration()
    url_fetcher = _fetcher(fonts)
    stylesheet = CSS(string=font_face_css(), font_config=font_config, url_fetcher=url_fetcher)
    document = HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    result = document.write_pdf(
        stylesheets=[stylesheet], font_config=font_config, pdf_tags=pdf_tags
    )
    if not isinstance(result, bytes):  # pragma: no cover - write_pdf without a target
        raise TypeError("WeasyPrint returned no bytes")
    return result
