"""Rich text for bank content: a small Markdown subset rendered, then sanitised with bleach.

The only module that imports bleach. Bank authors may write paragraphs, emphasis, lists and a
simple table (in a vignette); everything else (raw HTML, links, images, headings) stays text.
markdown-it-py runs with HTML off, so authored tags are escaped before bleach even sees them;
bleach then enforces the allowlist on what Markdown itself produced (defence in depth)."""

from functools import lru_cache

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup

BLOCK_TAGS = frozenset(
    {"p", "em", "strong", "ul", "ol", "li", "br", "table", "thead", "tbody", "tr", "th", "td"}
)
INLINE_TAGS = frozenset({"em", "strong", "br"})
#: no attributes at all: table alignment (a style) is dropped rather than parsing CSS
ATTRIBUTES: dict[str, list[str]] = {}
#: rules of the Markdown subset; every other syntax renders as the characters typed
BLOCK_RULES = ["paragraph", "list", "table", "emphasis", "newline", "escape"]
INLINE_RULES = ["emphasis", "newline", "escape"]


@lru_cache(maxsize=2)
def _parser(inline: bool) -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False, "typographer": False})
    return md.enable(INLINE_RULES if inline else BLOCK_RULES)


def _clean(html: str, tags: frozenset) -> Markup:
    cleaned = bleach.clean(html, tags=tags, attributes=ATTRIBUTES, strip=True)
    return Markup(cleaned.strip())  # noqa: S704 - bleach has just applied the allowlist


def rich(text: str | None) -> Markup:
    """Block rich text (stems, vignettes): paragraphs, emphasis, lists, a simple table."""
    return _clean(_parser(False).render(text or ""), BLOCK_TAGS)


def rich_inline(text: str | None) -> Markup:
    """Inline rich text for places that hold phrasing only (options, level descriptors)."""
    return _clean(_parser(True).renderInline(text or ""), INLINE_TAGS)
