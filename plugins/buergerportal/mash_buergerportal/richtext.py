"""Rich text of the catalogue: a safe Markdown subset, rendered on the server and sanitised with
an allow-list (defence in depth: raw HTML is already disabled in the Markdown parser).

Allowed: paragraphs, line breaks, bold, italic, lists, sub-headings (h3/h4), quotes, inline code
and links to http(s), mailto and tel. Everything else — scripts, event handlers, styles, images,
iframes, ``javascript:`` links — is removed.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code"}
ATTRIBUTES = {"a": {"href", "title"}}
SCHEMES = {"http", "https", "mailto", "tel"}

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(["image"])


def sanitize_html(html: str) -> str:
    """``html`` reduced to the allow-list (also used for HTML imported from elsewhere)."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
                     link_rel="noopener noreferrer", strip_comments=True)


def _shift_headings(html: str) -> str:
    # page titles are h1/h2: headings in a text start at h3
    return re.sub(r"<(/?)h[1-2]>", r"<\1h3>", html)


def render(markdown: str) -> Markup:
    """Sanitised HTML of ``markdown`` for a template."""
    return Markup(sanitize_html(_shift_headings(_md.render(markdown or ""))))


def plain(markdown: str) -> str:
    """The text without markup, for the search index and teasers."""
    text = nh3.clean(_md.render(markdown or ""), tags=set())
    return re.sub(r"\s+", " ", text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                  .replace("&quot;", '"').replace("&#39;", "'")).strip()
