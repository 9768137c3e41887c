"""The allowlist for author HTML: what the rendered prose of a post may contain.

Checked on the HTML the page will really hold (Markdown converted, raw HTML included, entities
decoded by the parser), never on the source text line by line, so `<svg/onload=...>`, an
attribute on the next line, `jav&#x61;script:` and `[x](javascript:...)` all look the same as
their plain forms. `check_html` lists every violation; `clean_html` also returns the HTML with
each one removed (the page a relaxed build still shows). Anything not listed here is refused.

What is written is what was checked: every kept tag is written again from the attributes the
parser read (names checked, values quoted and escaped), never copied from the author's text.
html.parser and a browser disagree on malformed tags (`title==" style=..."`, Unicode spaces
between attributes); a tag copied as written would let the browser read attributes this check
never saw. Text the parser did not read as a tag is written with `<` escaped, for the same reason.

The rules are data (the constants below) gathered in a `Profile`: `STRICT` (The Technician's
Path, where every post comes from a stranger) or `DOCS` (a documentation site: the legacy and
structural tags READMEs use, remote images from the hosts the site lists). The site picks one
(`html_policy`, options.py). Markup that other plugins' Markdown extensions write for their
plugin to finish later (mkdocs-autorefs' `<autoref>`, mkdocstrings' `<backlinks>`) is allowed in
every profile with each attribute checked, because those plugins copy the values into the page
unescaped (`GENERATED`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, fields
from html.parser import HTMLParser
from typing import Any

from techpath.safety import css, urls
from techpath.safety.starttag import read_differently
from techpath.safety.text import BIDI_CONTROLS, bidi_problem, without_bidi


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements prose may use. SVG shapes are here for the icons Material's emoji extension inlines.
TAGS = _words(
    "a abbr b bdi bdo blockquote br caption cite code col colgroup dd del details dfn div dl dt em "
    "figcaption figure h1 h2 h3 h4 h5 h6 hr i img input ins kbd label li mark ol p pre q rp rt ruby "
    "s samp small span strong sub summary sup table tbody td tfoot th thead time tr u ul var wbr "
    "svg path g circle rect line polyline polygon ellipse title desc"
)
# Refused together with everything inside them (their content is code, not text for readers).
DROP_WITH_CONTENT = _words(
    "script style iframe frame frameset object embed applet noscript noembed noframes template "
    "textarea select xmp plaintext math foreignobject annotation-xml"
)
GLOBAL_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "role", "style", "hidden"})
ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "name", "rel", "hreflang"}),
    "img": frozenset({"src", "alt", "width", "height", "loading", "decoding"}),
    "td": frozenset({"colspan", "rowspan", "align"}),
    "th": frozenset({"colspan", "rowspan", "align", "scope"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "type", "reversed"}),
    "li": frozenset({"value"}),
    "details": frozenset({"open"}),
    "input": frozenset({"type", "checked", "disabled", "name"}),
    "label": frozenset({"for"}),
    "time": frozenset({"datetime"}),
}
SVG_ATTRIBUTES = _words(
    "viewbox xmlns width height fill stroke d points x y x1 y1 x2 y2 cx cy r rx ry transform "
    "fill-rule clip-rule stroke-width stroke-linecap stroke-linejoin opacity fill-opacity "
    "stroke-opacity preserveaspectratio focusable aria-hidden"
)
SVG_TAGS = _words("svg path g circle rect line polyline polygon ellipse title desc")
# Markup other plugins' Markdown extensions leave in the page for their plugin to finish after
# this check: mkdocs-autorefs turns `<autoref identifier="x">text</autoref>` into a link to the
# anchor registered for x (or, unresolved, into `<span title="x">` or `[text][x]`), writing
# the identifier and every attribute it does not know into the page as they are; mkdocstrings
# replaces `<backlinks identifier="x" handler="python">` by its handler's list of links. So only
# the attributes those plugins read are allowed, and no value may hold a character that could
# end a value or open a tag once they write it unescaped.
GENERATED: dict[str, frozenset[str]] = {
    "autoref": _words(
        "identifier slug optional hover class domain role origin filepath lineno backlink-type "
        "backlink-anchor"
    ),
    "backlinks": _words("identifier handler"),
}
_FINISHED_BY = {"autoref": "mkdocs-autorefs", "backlinks": "mkdocstrings"}
_GENERATED_VALUE = re.compile(r"[^<>\"'`\x00-\x1f\x7f]*")
_HANDLER_NAME = re.compile(r"[a-z][a-z0-9_-]*")
# What documentation sites use that posts here do not (GitHub's README sanitizer allows the same
# tags; `<center>` is not among them, so READMEs centre with align="center", allowed here).
DOCS_TAGS = _words("tt strike picture source")
DOCS_ATTRIBUTES: dict[str, frozenset[str]] = {
    "p": _words("align"),
    "div": _words("align"),
    **{f"h{level}": _words("align") for level in range(1, 7)},
    "img": _words("align border srcset sizes"),
    "source": _words("srcset media type sizes width height"),
    "table": _words("align border cellpadding cellspacing width"),
    "tr": _words("align valign"),
    "td": _words("valign width height nowrap"),
    "th": _words("valign width height nowrap"),
}
ALIGN_VALUES = frozenset({"left", "right", "center", "justify", "top", "middle", "bottom", "baseline"})


@dataclass(frozen=True)
class Profile:
    """One HTML policy: the tags and attributes author HTML may use, and where its images may
    come from (CSP img-src sources, matched as the browser matches them: urls.source_allows)."""

    name: str
    tags: frozenset[str] = TAGS
    attributes: Mapping[str, frozenset[str]] = field(default_factory=lambda: dict(ATTRIBUTES))
    image_sources: tuple[str, ...] = ()

    def allows(self, tag: str, name: str) -> bool:
        return name in self.attributes.get(tag, ()) or (tag in SVG_TAGS and name in SVG_ATTRIBUTES)

    def key(self) -> tuple[Hashable, ...]:
        """Every field, hashable (a memo's key: safety/html_memo.py). A field added later is in
        it too: each is read by name from the dataclass."""
        return tuple(_hashable(getattr(self, f.name)) for f in fields(self))


def _hashable(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, set | frozenset):
        return frozenset(value)
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value  # anything else unhashable fails the key loudly, never collides


PROFILES = ("docs", "strict")
STRICT = Profile("strict")


def profile(name: str, image_sources: tuple[str, ...] = ()) -> Profile:
    """The profile called `name` (one of PROFILES), its images allowed from `image_sources`."""
    if name == "strict":
        return Profile("strict", image_sources=image_sources)
    if name != "docs":
        raise ValueError(f"unknown HTML policy {name!r}")
    attributes = {tag: ATTRIBUTES.get(tag, frozenset()) | DOCS_ATTRIBUTES.get(tag, frozenset())
                  for tag in set(ATTRIBUTES) | set(DOCS_ATTRIBUTES)}  # fmt: skip
    return Profile("docs", TAGS | DOCS_TAGS, attributes, image_sources)


INPUT_TYPES = frozenset({"checkbox", "radio"})  # task lists and content tabs
# Ids the theme relies on start with "__" (__drawer, __search, __palette_0): an author element
# with one of them would take over the theme's toggles. Markdown extensions' own are fine.
THEME_ID_PREFIX = "__"
GENERATED_IDS = ("__codelineno-", "__tabbed_", "__span-")
# Classes starting with md- are the theme's: `md-consent__overlay`, `md-dialog`, `md-header`
# would dress prose as the theme's own overlays and bars. Material documents these for authors.
THEME_CLASS_PREFIX = "md-"
AUTHOR_THEME_CLASSES = frozenset({"md-button", "md-button--primary"})
# What a style attribute in prose may set: how text and boxes look, never where they are drawn.
# Position, z-index, offsets, transforms, shadows and outlines could lay prose over the theme's
# header or a fake dialog over the whole page (prose has no box that clips it, unlike outputs).
STYLE_PROPERTIES = _words(
    "color background background-color text-align vertical-align font-weight font-style "
    "font-variant font-size line-height text-decoration text-decoration-line text-decoration-color "
    "text-decoration-style text-transform white-space word-break overflow-wrap width max-width "
    "min-width height max-height min-height margin margin-top margin-right margin-bottom "
    "margin-left padding padding-top padding-right padding-bottom padding-left border border-top "
    "border-right border-bottom border-left border-width border-style border-color border-radius "
    "border-collapse border-spacing list-style-type display float clear overflow overflow-x "
    "overflow-y opacity"
)
COVERING_PROPERTIES = _words(
    "position z-index inset inset-block inset-inline top right bottom left transform translate "
    "rotate scale box-shadow outline outline-offset text-indent clip-path filter backdrop-filter "
    "mix-blend-mode"
)
# A negative length pulls a box over what comes before it (margin-top: -900px over the header).
_NEGATIVE = re.compile(r"(^|[\s(,])-\.?\d")
# Attribute names written back: the characters of real attribute names only (a name with a
# quote or an equals sign in it would be read differently by the browser).
_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_.:-]*")


@dataclass(frozen=True)
class Violation:
    """One thing the policy refuses, with the text that betrays it in the source."""

    message: str
    evidence: tuple[str, ...]  # lowercase strings to look for in the (decoded) source


def check_html(fragment: str, rules: Profile = STRICT) -> list[Violation]:
    """Every violation of the policy (`rules`) in `fragment`, in document order."""
    return clean_html(fragment, rules)[1]


def clean_html(fragment: str, rules: Profile = STRICT) -> tuple[str, list[Violation]]:
    """`fragment` as the browser will read it, every violation of `rules` removed, and the
    violations. Always rebuilt from what the parser read (see the module's docstring)."""
    walker = _Walker(rules)
    walker.feed(fragment)
    walker.close()
    return "".join(walker.out), walker.violations


class _Walker(HTMLParser):
    def __init__(self, rules: Profile) -> None:
        super().__init__(convert_charrefs=False)
        self.rules = rules
        self.out: list[str] = []
        self.violations: list[Violation] = []
        self._dropping: list[str] = []  # open elements refused with their content
        self._unwrapped: dict[str, int] = {}  # open generated elements refused, their text kept

    # -- elements ----------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if self._dropping:
            if not closed and tag in DROP_WITH_CONTENT:
                self._dropping.append(tag)
            return
        if tag not in self.rules.tags and tag not in GENERATED:
            self._refuse(f"<{tag}> is not allowed in posts{_hint(tag)}", (f"<{tag}",))
            if tag in DROP_WITH_CONTENT and not closed:
                self._dropping.append(tag)
            return
        raw = self.get_starttag_text() or ""
        if read_differently(raw, attrs):
            self._refuse(
                f"<{tag}>: a browser reads other attributes here than this check does (an '=' after "
                "'=', or a space that is not an ASCII space); write name=\"value\" pairs separated by spaces",
                (raw[:24].lower(), "", f"<{tag} "),
            )
        kept: list[tuple[str, str | None]] = []
        seen: set[str] = set()
        for name, value in attrs:
            if name in seen:  # a browser keeps the first of two attributes with one name
                continue
            seen.add(name)
            problem = (
                _generated_problem(tag, name, value)
                if tag in GENERATED
                else _attribute_problem(tag, name, value, self.rules)
            )
            if problem is None:
                kept.append((name, value))
            else:
                found = _evidence(name, value)
                if tag in GENERATED and value:  # in the source as [text][value], not as name=
                    found = (value.lower()[:24], *found)
                self._refuse(f"<{tag} {name}>: {problem}", found)
        if tag == "input" and dict(attrs).get("type", "text") not in INPUT_TYPES:
            self._refuse("<input> is allowed as a checkbox or radio button only", ("<input",))
            return
        if tag == "img" and not (dict(kept).get("alt") or "").strip():
            src = dict(attrs).get("src") or ""
            self._refuse(f"image {src} has no alt text: ![what it shows](...)", _evidence("src", src))
        if tag in GENERATED and (len(kept) < len(seen) or "identifier" not in dict(kept)):
            # the plugin would fail on it (no identifier) or read it differently: only its text stays
            if "identifier" not in dict(attrs):
                self._refuse(f"<{tag}> without an identifier", (f"<{tag}",))
            if not closed:
                self._unwrapped[tag] = self._unwrapped.get(tag, 0) + 1
            return
        self.out.append(_start_tag(tag, kept, closed))

    def handle_endtag(self, tag: str) -> None:
        if self._dropping:
            if tag == self._dropping[-1]:
                self._dropping.pop()
            return
        if self._unwrapped.get(tag):
            self._unwrapped[tag] -= 1
            return
        if tag in self.rules.tags or tag in GENERATED:
            self.out.append(f"</{tag}>")

    # -- everything else ---------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self._dropping:
            return
        if problem := bidi_problem(data):
            self._refuse(problem, tuple(c for c in BIDI_CONTROLS if c in data))
            data = without_bidi(data)
        self.out.append(data.replace("<", "&lt;"))  # a `<` html.parser read as text stays text

    def handle_entityref(self, name: str) -> None:
        if not self._dropping:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self._dropping:
            self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        if self._dropping:
            return
        # `<!-->` and `<!--->` end a comment at once in a browser but not in html.parser: what
        # follows would be markup the browser runs and this check never saw.
        if data.startswith((">", "->")) or "--" in data or "<" in data:
            self._refuse("malformed or nested HTML comment", ("<!--",))
            return
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._refuse(f"<!{decl.split()[0] if decl.split() else ''}> declarations are not allowed", ("<!",))

    def handle_pi(self, data: str) -> None:
        self._refuse("processing instructions (<?...>) are not allowed", ("<?",))

    def unknown_decl(self, data: str) -> None:
        self._refuse("CDATA sections are not allowed", ("<![",))

    def _refuse(self, message: str, evidence: tuple[str, ...]) -> None:
        self.violations.append(Violation(message, evidence))


def _generated_problem(tag: str, name: str, value: str | None) -> str | None:
    """Why attribute `name` may not stay on `tag`, markup a plugin finishes (`GENERATED`)."""
    if name not in GENERATED[tag]:
        return f"{_FINISHED_BY[tag]} does not read this attribute (it would copy it into the page as it is)"
    text = value or ""
    if not _GENERATED_VALUE.fullmatch(text):
        return "quotes, < and > are not allowed in this value (the plugin writes it unescaped)"
    if name == "handler" and not _HANDLER_NAME.fullmatch(text):
        return "expected a handler's name"
    if name == "class":
        return _theme_class_problem(text)
    return None


def _theme_class_problem(text: str) -> str | None:
    theme = [c for c in text.split() if c.startswith(THEME_CLASS_PREFIX) and c not in AUTHOR_THEME_CLASSES]
    if theme:
        return (
            f"class {theme[0]!r}: md-* classes belong to the theme "
            f"(posts may use {', '.join(sorted(AUTHOR_THEME_CLASSES))})"
        )
    return None


def _attribute_problem(tag: str, name: str, value: str | None, rules: Profile = STRICT) -> str | None:
    """Why attribute `name` may not stay on `tag` under `rules`, or None when it may."""
    if name.startswith("on"):
        return "event handler attributes (on...) are not allowed"
    if not _ATTRIBUTE_NAME.fullmatch(name):
        return "not an attribute name"
    allowed = (
        name in GLOBAL_ATTRIBUTES
        or rules.allows(tag, name)
        or name.startswith("aria-")
        or (name.startswith("data-") and not name.startswith("data-md-"))
    )
    if not allowed:
        return "this attribute is not allowed" + (
            " (Material reads data-md-* attributes itself)" if name.startswith("data-md-") else ""
        )
    text = value or ""
    if problem := bidi_problem(text):
        return problem
    if name == "href":
        return urls.link_problem(text)
    if name == "src":
        return urls.image_problem(text, rules.image_sources)
    if name == "srcset":  # candidates "url 2x, url 480w": each one an image source
        for candidate in text.split(","):
            if problem := urls.image_problem(candidate.strip().split(" ")[0], rules.image_sources):
                return problem
        return None
    if name in ("align", "valign") and text.strip().lower() not in ALIGN_VALUES:
        return f"expected one of {', '.join(sorted(ALIGN_VALUES))}"
    if (
        name in ("id", "name", "for")
        and text.startswith(THEME_ID_PREFIX)
        and not text.startswith(GENERATED_IDS)
    ):
        return f"{text!r}: ids starting with __ belong to the theme"
    if name == "style":
        _, dropped = css.clean_declarations(text, extra_check=_prose_declaration_problem)
        return "; ".join(dropped) or None
    if name == "class":
        return _theme_class_problem(text)
    return None


def _prose_declaration_problem(name: str, value: str) -> str | None:
    """Why prose may not set `name: value` (after the checks every style gets, css.py)."""
    prop = name.strip().lower()
    if prop in COVERING_PROPERTIES:
        shown = "position: fixed/absolute/sticky/relative" if prop == "position" else prop
        return f"{shown} would let prose cover the page"
    if prop not in STYLE_PROPERTIES:
        return f"property {prop!r} is not one a post may set"
    if _NEGATIVE.search(value.strip()):
        return f"{prop}: negative lengths would pull prose over the page"
    return None


def _evidence(name: str, value: str | None) -> tuple[str, ...]:
    """Needles for the source line: the strong ones, then "" and the weak ones (tried only when no
    line holds a strong one)."""
    text = urls.normalised(value or "")
    strong = [f"{name}=", f"{name} ="]
    weak = [name]
    if name in ("href", "src") and text:
        start = text[:24]
        # as an HTML attribute, a Markdown link or image target, an autolink; then anywhere
        strong = [f'{name}="{start}', f"{name}='{start}", f"{name}={start}", f"({start}", f"<{start}"]
        weak = [start, f"{name}=", name]
    if name == "style":
        strong = [f"{part.split(':')[0].strip()}:" for part in text.split(";") if ":" in part][:1] + strong
    if name == "class":
        strong = [c for c in text.split() if c.startswith(THEME_CLASS_PREFIX)][:1] + strong
    return (*strong, "", *weak)


def _start_tag(tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> str:
    """The tag as the browser must read it: checked names, values in double quotes with `&`,
    `<`, `>` and both quotes escaped (no value can end its quotes or open a tag in RCDATA)."""
    parts = [tag] + [name if v is None else f'{name}="{html.escape(v, quote=True)}"' for name, v in attrs]
    return f"<{' '.join(parts)}{' /' if closed else ''}>"


def _hint(tag: str) -> str:
    hints = {
        "script": " (the site runs no script from posts)",
        "style": " (style posts with the classes of the site's stylesheet)",
        "iframe": " (link to the page instead)",
        "form": " (posts collect no input)",
        "meta": " (the site sets the page's metadata)",
        "base": " (the site sets the page's metadata)",
        "link": " (the site sets the page's metadata)",
        "math": " (write TeX between $...$; the build typesets it)",
    }
    return hints.get(tag, "")
