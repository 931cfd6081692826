"""Which Graph properties a change to a message touches.

The change log records them so that a delta round can report an update the way Outlook
does: a change of read state alone as ``{id, isRead, parentFolderId}``, other changes
with at least the properties that changed.
"""

# Message attribute -> the Graph properties that show it.
_PROPERTIES = {
    "is_read": ("isRead",),
    "flag": ("flag",),
    "categories": ("categories",),
    "importance": ("importance",),
    "subject": ("subject",),
    "body": ("body", "bodyPreview", "uniqueBody"),
    "body_type": ("body", "uniqueBody"),
    "to": ("toRecipients",),
    "cc": ("ccRecipients",),
    "bcc": ("bccRecipients",),
    "reply_to": ("replyTo",),
    "from_addr": ("from",),
    "sender": ("sender",),
    "internet_message_id": ("internetMessageId",),
    "headers": ("internetMessageHeaders",),
    "attachments": ("hasAttachments",),
    "is_draft": ("isDraft",),
    "sent": ("sentDateTime",),
    "received": ("receivedDateTime",),
}
# What every change but a read toggle moves as well.
_MODIFICATION = ("changeKey", "lastModifiedDateTime")


def is_read_state_only(changes):
    """True when ``changes`` (Message attribute names) set the read state and nothing else:
    Exchange then leaves changeKey and lastModifiedDateTime alone."""
    return set(changes) == {"is_read"}


def changed_properties(changes):
    """The Graph properties ``changes`` touch, or ``None`` when one is not known."""
    properties = []
    for name in changes:
        if name not in _PROPERTIES:
            return None
        properties.extend(_PROPERTIES[name])
    if not is_read_state_only(changes):
        properties.extend(_MODIFICATION)
    return tuple(dict.fromkeys(properties))
