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


#: distinct texts remembered per process. Rendering is a pure function of the text, and the text
#: is bank content (stems, options, vignettes, rubric levels), which a new version replaces
#: rather than edits, so a remembered rendering never goes stale. Sanitising is most of the
#: cost of an exam page (60 stems and 240 options through bleach's HTML parser); a bank of a
#: few thousand items fits, and a bigger one only evicts.
RENDERED_TEXTS = 8192


@lru_cache(maxsize=RENDERED_TEXTS)
def rich(text: str | None) -> Markup:
    """Block rich text (stems, vignettes): paragraphs, emphasis, lists, a simple table."""
    return _clean(_parser(False).render(text or ""), BLOCK_TAGS)


@lru_cache(maxsize=RENDERED_TEXTS)
def rich_inline(text: str | None) -> Markup:
    """Inline rich text for places that hold phrasing only (options, level descriptors)."""
    return _clean(_parser(True).renderInline(text or ""), INLINE_TAGS)
