"""Rich HTML from code (a DataFrame, scikit-learn's estimator diagram) kept inside its own box.

- Markup is cleaned by nh3 (Ammonia): no scripts, handlers, forms or frames.
- Every id gets a prefix unique to the output, and so do the references to it (`label for`,
  `href="#..."`, `aria-*`), so two outputs on one page, or an output and the theme, never share
  an id (`__search`, `__drawer`).
- `<style>` is not dropped (the estimator diagram needs it) but scoped: each selector is limited
  to the output's container and follows the renamed ids; declarations that fetch (`url()`),
  cover the page (`position: fixed`) or run code are removed, as in `style` attributes.
- The container itself has `contain: paint` in the site's stylesheet: whatever survives is
  clipped to the box.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from techpath.safety import css

TAGS = (set(nh3.ALLOWED_TAGS) | {"input", "label", "details", "summary"}) - {"style"}
ATTRIBUTES = {
    "*": {"class", "id", "style", "title", "role", "aria-label", "aria-hidden", "aria-labelledby",
          "aria-describedby", "tabindex", "hidden"},
    "a": {"href", "title"},
    "img": {"alt", "width", "height"},
    "input": {"type", "checked", "disabled", "id", "class"},
    "label": {"for"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "details": {"open"},
}  # fmt: skip
_ID_LISTS = {"aria-labelledby", "aria-describedby"}


def scoped_output(fragment: str, prefix: str) -> str:
    """`fragment` cleaned and confined; wrap it in an element with id `prefix + "box"`."""
    sheets = _StyleSheets()
    sheets.feed(fragment)
    sheets.close()

    def rename(name: str) -> str:
        return prefix + name

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in ("id", "for"):
            return rename(value)
        if attribute in _ID_LISTS:
            return " ".join(rename(v) for v in value.split())
        if attribute == "href" and value.startswith("#"):
            return "#" + rename(value[1:])
        if attribute == "style":
            kept, _ = css.clean_declarations(value)
            return kept or None
        return value

    body = nh3.clean(
        fragment,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=keep,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    scope = f"#{prefix}box"
    style = "".join(css.scope_stylesheet(sheet, scope, rename) for sheet in sheets.texts)
    return (f"<style>{style}</style>" if style else "") + body


class _StyleSheets(HTMLParser):
    """The text of each <style> element of a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self._inside = True
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.texts[-1] += data
