"""Body conversions Exchange performs: HTML to text, text to HTML, and the preview."""

import html
import re
from html.parser import HTMLParser

PREVIEW_LENGTH = 255

_BLOCK_TAGS = {
    "address",
    "blockquote",
    "br",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "table",
    "tr",
    "ul",
}
_SKIPPED_TAGS = {"head", "script", "style", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(re.sub(r"[ \t\r\n]+", " ", data))


def html_to_text(markup):
    """Readable plain text from an HTML body (tags dropped, blocks become lines)."""
    extractor = _TextExtractor()
    extractor.feed(markup or "")
    extractor.close()
    text = "".join(extractor.parts)
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def text_to_html(text):
    """The HTML document Exchange wraps around a plain-text body."""
    escaped = html.escape(text or "").replace("\r\n", "\n").replace("\n", "<br>\r\n")
    return (
        '<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "\r\n</head>\r\n<body>\r\n<div>" + escaped + "</div>\r\n</body>\r\n</html>\r\n"
    )


def convert(content, content_type, wanted):
    """``content`` (of ``content_type``, "html" or "text") in the ``wanted`` type."""
    if wanted == content_type:
        return content
    if wanted == "text":
        return html_to_text(content)
    return text_to_html(content)


def preview(content, content_type):
    """bodyPreview: the first 255 characters of the text, whitespace collapsed."""
    text = content if content_type == "text" else html_to_text(content)
    return re.sub(r"\s+", " ", text or "").strip()[:PREVIEW_LENGTH]
