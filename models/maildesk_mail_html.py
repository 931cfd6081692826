"""Making a received mail's HTML safe to show inside Odoo.

Mail HTML is written by strangers. Odoo's sanitizer removes scripts, event handlers,
frames, forms, ``<base>``/``<meta>``/``<style>``/``<link>`` and unlisted CSS properties;
the pass here goes further where a mail client must: SVG and MathML (script and markup
smuggling), media that loads by itself, every URL scheme but the few a mail needs, and
anything that loads from a remote server, which would tell the sender when and where the
mail was read. Remote images are kept aside in ``data-maildesk-*`` attributes (Odoo's
sanitizer strips every such attribute from the incoming mail, so only this pass writes
them) and put back by ``with_remote_images`` when the user asks for them. ``cid:`` images
point at the access-checked attachment route.
"""

import re
from urllib.parse import unquote

from lxml import etree
from lxml import html as lxml_html

from odoo.tools.mail import html_normalize, html_sanitize

BLOCKED_SRC = "data-maildesk-src"
BLOCKED_STYLE = "data-maildesk-style"

# Whole subtrees removed: they run script, smuggle markup past the HTML parser, or load
# media with no user action.
KILLED_TAGS = frozenset(
    {
        "svg",
        "math",
        "video",
        "audio",
        "source",
        "track",
        "canvas",
        "applet",
        "frameset",
        "frame",
        "bgsound",
        "portal",
        "template",
        "isindex",
        "keygen",
    }
)
# URL-bearing attributes with no use in a displayed mail.
DROPPED_ATTRIBUTES = frozenset(
    {
        "action",
        "formaction",
        "background",
        "poster",
        "cite",
        "longdesc",
        "lowsrc",
        "dynsrc",
        "data",
        "codebase",
        "ping",
        "srcset",
        "manifest",
        "xlink:href",
        "accesskey",
        # ids and names would let a mail shadow globals of the page that shows it (DOM
        # clobbering); Outlook's own classes only served the <style> blocks removed above.
        "id",
        "name",
    }
)
LINK_SCHEMES = ("http", "https", "mailto", "tel")
REMOTE_SCHEMES = ("http", "https")
# What browsers ignore inside a URL before reading its scheme.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_STYLE_DECLARATION = re.compile(r"""([\w-]+)\s*:\s*((?:[^;"']|"[^";]*"|'[^';]*')+)""")
# CSS that fetches something: url(), image-set() and the like.
_CSS_LOADS = re.compile(r"url\s*\(|image-set|image\s*\(|src\s*\(", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\s*\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
_PIXEL_SIZE = re.compile(r"^\s*([0-9.]+)\s*(px)?\s*$", re.IGNORECASE)


def _scheme(url):
    """The lowercase scheme of `url` as a browser reads it; '' when it has none."""
    cleaned = _URL_NOISE.sub("", url or "").lower()
    if cleaned.startswith("//"):
        return "https"
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else ""


def _remote_url(url):
    """`url` as an absolute http(s) URL, or None when it is not one."""
    url = (url or "").strip()
    if url.startswith("//"):
        return "https:" + url
    return url if _scheme(url) in REMOTE_SCHEMES else None


def normalize_content_id(value):
    """The key under which a Content-ID and a ``cid:`` reference meet."""
    value = unquote((value or "").strip())
    if value.lower().startswith("cid:"):
        value = value[4:]
    return value.strip().strip("<>").strip().lower()


def _drop(element):
    """Remove `element` and its subtree, keeping the text that follows it."""
    parent = element.getparent()
    if parent is None:
        element.clear()
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _tiny(value):
    match = _PIXEL_SIZE.match(value or "")
    return bool(match) and float(match.group(1)) <= 1


def _style_map(style):
    return [
        (name.lower(), value.strip()) for name, value in _STYLE_DECLARATION.findall(style or "")
    ]


def _is_tracker(img):
    """A 1x1 or hidden image: nothing a reader would see, only a read receipt."""
    if _tiny(img.get("width")) or _tiny(img.get("height")):
        return True
    for name, value in _style_map(img.get("style")):
        value = value.lower()
        if (
            name in ("width", "height", "opacity")
            and _tiny(value)
            and (name != "opacity" or float(_PIXEL_SIZE.match(value).group(1)) == 0)
        ):
            return True
        if name == "display" and value == "none":
            return True
    return False


def _split_style(style):
    """`(kept, blocked)`: the style without what loads remotely, and the full style with
    remote loads (None when there are none). Anything else that loads is dropped."""
    kept, remote = [], []
    for name, value in _style_map(style):
        if "\\" in value or "expression" in value.lower():
            # CSS escapes could spell url( or a scheme past any check.
            continue
        if not _CSS_LOADS.search(value):
            kept.append((name, value))
            continue
        urls = [match.group(2) for match in _CSS_URL.finditer(value)]
        if (
            urls
            and len(urls) == len(_CSS_LOADS.findall(value))
            and all(_remote_url(url) for url in urls)
        ):
            remote.append((name, value))

    def join(declarations):
        return "; ".join("%s:%s" % item for item in declarations)

    return join(kept), (join(kept + remote) if remote else None)


def _clean_link(element):
    href = (element.get("href") or "").strip()
    if href.startswith("#") or _scheme(href) in LINK_SCHEMES:
        if _scheme(href) in REMOTE_SCHEMES:
            element.set("target", "_blank")
            element.set("rel", "noopener noreferrer nofollow")
        return
    del element.attrib["href"]


def _clean_image(img, cid_urls):
    src = (img.get("src") or "").strip()
    img.attrib.pop("src", None)
    remote = _remote_url(src)
    if remote:
        if _is_tracker(img):
            _drop(img)
            return
        img.set(BLOCKED_SRC, remote)
    elif _scheme(src) == "cid":
        url = cid_urls.get(normalize_content_id(src))
        if url:
            img.set("src", url)
    # Anything else (data:, javascript:, a path on this server that a GET would trigger)
    # is not shown at all.


def _harden(doc, cid_urls):
    killed = [
        element
        for element in doc.iter(etree.Element)
        if not isinstance(element.tag, str)
        or element.tag.lower() in KILLED_TAGS
        or ":" in element.tag
    ]
    for element in killed:
        _drop(element)
    for element in list(doc.iter(etree.Element)):
        for attribute in list(element.attrib):
            lowered = attribute.lower()
            if lowered in DROPPED_ATTRIBUTES or lowered.startswith("on") or ":" in lowered:
                del element.attrib[attribute]
        if element.get("usemap") and not element.get("usemap").startswith("#"):
            del element.attrib["usemap"]
        if "href" in element.attrib:
            _clean_link(element)
        if element.tag == "img":
            _clean_image(element, cid_urls)
        elif "src" in element.attrib:
            del element.attrib["src"]
        if "style" in element.attrib:
            kept, blocked = _split_style(element.get("style"))
            if kept:
                element.set("style", kept)
            else:
                del element.attrib["style"]
            if blocked:
                element.set(BLOCKED_STYLE, blocked)
    return doc


def _table_colours(raw_html):
    """``bgcolor`` becomes a ``background-color`` style, which the sanitizer keeps: mail
    layouts colour their tables that way, and dropping it can leave white text on white."""
    if "bgcolor" not in raw_html.lower():
        return raw_html
    try:
        doc = lxml_html.fromstring(raw_html)
    except (etree.ParserError, ValueError):
        return raw_html
    for element in doc.xpath("//*[@bgcolor]"):
        colour = element.attrib.pop("bgcolor").strip()
        if re.fullmatch(r"#?[0-9a-zA-Z]{1,20}", colour):
            style = element.get("style", "")
            element.set("style", "background-color:%s;%s" % (colour, style))
    return lxml_html.tostring(doc, encoding="unicode")


def sanitize_mail_html(raw_html, cid_urls=None):
    """Received mail HTML made safe to store and show, remote images blocked.

    :param raw_html: the body as Graph returned it
    :param cid_urls: ``{normalized content id: url}`` for the message's inline images
    :return: the sanitized HTML (str)
    """
    if not raw_html or not raw_html.strip():
        return ""
    sanitized = html_sanitize(
        _table_colours(raw_html),
        sanitize_attributes=True,
        sanitize_style=True,
        sanitize_form=True,
        strip_classes=True,
    )
    if not sanitized:
        return ""
    # Wrapped, so that the root of what is parsed is never one of the mail's own elements.
    return html_normalize(
        "<div>%s</div>" % sanitized, filter_callback=lambda doc: _harden(doc, cid_urls or {})
    )


def _restore(doc):
    for element in doc.iter(etree.Element):
        src = _remote_url(element.attrib.pop(BLOCKED_SRC, None))
        if src:
            element.set("src", src)
        style = element.attrib.pop(BLOCKED_STYLE, None)
        if style is not None:
            element.set("style", style)
    return doc


def with_remote_images(stored_html):
    """The stored (sanitized) body with its blocked remote images put back."""
    if not stored_html or (BLOCKED_SRC not in stored_html and BLOCKED_STYLE not in stored_html):
        return stored_html or ""
    return html_normalize("<div>%s</div>" % stored_html, filter_callback=_restore)


def has_remote_images(stored_html):
    """Whether the stored body holds remote images that are not shown yet."""
    return bool(stored_html) and (BLOCKED_SRC in stored_html or BLOCKED_STYLE in stored_html)
