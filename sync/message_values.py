"""Graph message JSON → the column values of a mirrored message.

Only the properties an item carries become values: real Outlook sends partial updates
(``{"id", "isRead", "parentFolderId"}``), and a property it did not send must never
blank what the mirror already holds. Malformed values are stored as far as they go
(an unparsable date becomes empty, an odd recipient is skipped) and reported once, so
that one odd message never stops its folder.
"""

from datetime import datetime, timezone

# The columns a delta item may fill, in a fixed order.
MESSAGE_COLUMNS = (
    "internet_message_id",
    "conversation_id",
    "message_kind",
    "subject",
    "from_name",
    "from_address",
    "to_recipients",
    "cc_recipients",
    "bcc_recipients",
    "received_date",
    "sent_date",
    "preview",
    "is_read",
    "is_draft",
    "has_attachments",
    "is_flagged",
    "importance",
    "web_link",
)
# btree indexes refuse keys over ~2,700 bytes: keep indexed text well below that.
MAX_INDEXED_TEXT = 900
IMPORTANCES = ("low", "normal", "high")
PLAIN_MAIL_TYPES = ("#microsoft.graph.message", "microsoft.graph.message", "")
# An item without this property is an update of a message, never enough to create one.
CREATING_PROPERTY = "receivedDateTime"


def message_values(item):
    """``(values, categories, problems)`` for one delta item.

    ``values`` maps column names to values for the properties present in ``item``;
    ``categories`` is the list of category names when the item carries them, else None;
    ``problems`` lists what could not be read (for one log line).
    """
    values, problems = {}, []
    if "internetMessageId" in item:
        values["internet_message_id"] = _clip(_text(item["internetMessageId"]))
    if "conversationId" in item:
        values["conversation_id"] = _clip(_text(item["conversationId"]))
    if "@odata.type" in item:
        kind = _text(item["@odata.type"]) or ""
        values["message_kind"] = None if kind in PLAIN_MAIL_TYPES else kind.rsplit(".", 1)[-1]
    if "subject" in item:
        values["subject"] = _text(item["subject"]) or ""
    if "from" in item or "sender" in item:
        name, address = _address(item.get("from") or item.get("sender"))
        values["from_name"], values["from_address"] = name, _clip(address)
    for prop, column in (
        ("toRecipients", "to_recipients"),
        ("ccRecipients", "cc_recipients"),
        ("bccRecipients", "bcc_recipients"),
    ):
        if prop in item:
            values[column] = recipients_text(item[prop])
    for prop, column in (("receivedDateTime", "received_date"), ("sentDateTime", "sent_date")):
        if prop in item:
            values[column] = parse_graph_datetime(item[prop])
            if item[prop] and values[column] is None:
                problems.append("%s %r" % (prop, item[prop]))
    if "bodyPreview" in item:
        values["preview"] = _text(item["bodyPreview"]) or ""
    for prop, column in (
        ("isRead", "is_read"),
        ("isDraft", "is_draft"),
        ("hasAttachments", "has_attachments"),
    ):
        if prop in item:
            values[column] = bool(item[prop])
    if "flag" in item:
        flag = item["flag"] if isinstance(item["flag"], dict) else {}
        values["is_flagged"] = flag.get("flagStatus") == "flagged"
    if "importance" in item:
        importance = (_text(item["importance"]) or "normal").lower()
        values["importance"] = importance if importance in IMPORTANCES else "normal"
    if "webLink" in item:
        values["web_link"] = _text(item["webLink"])
    categories = None
    if "categories" in item:
        raw = item["categories"] if isinstance(item["categories"], list) else []
        categories = sorted(
            {name.strip() for name in raw if isinstance(name, str) and name.strip()}
        )
    return values, categories, problems


def can_create(item):
    """True when the item describes a whole message, not only what changed."""
    return CREATING_PROPERTY in item


def parse_graph_datetime(value):
    """A naive UTC datetime from Graph's ISO 8601 text; None when it cannot be one."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:
        # Python before 3.11 reads at most 6 fraction digits; Graph sends up to 7.
        head, _, rest = text.partition(".")
        digits = "".join(ch for ch in rest if ch.isdigit())
        text = head + "." + digits[:6].ljust(6, "0") + rest[len(digits) :]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            return None
        moment = moment.replace(tzinfo=None)
    return moment


def _text(value):
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    # PostgreSQL text cannot hold NUL characters.
    return text.replace("\x00", "")


def _clip(text):
    return text[:MAX_INDEXED_TEXT] if text else text


def _address(recipient):
    email = recipient.get("emailAddress") if isinstance(recipient, dict) else None
    if not isinstance(email, dict):
        return None, None
    name = _text(email.get("name")) or None
    address = _text(email.get("address"))
    return name, (address.strip().lower() if address else None)


def recipients_text(recipients):
    """``"Name <address>, …"``: what the list shows and search reads, no Graph call."""
    if not isinstance(recipients, list):
        return None
    parts = []
    for recipient in recipients:
        name, address = _address(recipient)
        if address and name and name.lower() != address:
            parts.append("%s <%s>" % (name.replace(",", " "), address))
        elif address or name:
            parts.append(address or name)
    return ", ".join(parts) or None
