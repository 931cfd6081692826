"""Sending: the Sent Items copy, delivery to emulated mailboxes, replies and forwards.

Delivery copies a sent message into the Inbox of every recipient who has a mailbox in
this emulator (the sender included, when they write to themselves). Each mailbox is
locked on its own, one after the other, never two at a time.
"""

import html
import time

from ..mailstore import mime
from ..mailstore.bodies import convert
from ..mailstore.mailbox import clone_message, unfiled_copy
from ..mailstore.message import Message, iso
from .call import GraphRefusal, bad_request

_RELAY = "mx.maildesk.example"


def outgoing_message(mailbox, fields, draft=False):
    """A new, unsaved message from Graph message fields, sent by the mailbox owner.

    A draft may name another sender for now: sending it is what gets refused.
    """
    fields = dict(fields)
    attachments = fields.pop("attachments", [])
    message = Message(number=0, folder_no=0)
    owner = (mailbox.display_name, mailbox.email)
    message.from_addr = message.sender = owner
    for name, value in fields.items():
        setattr(message, name, value)
    if not draft:
        check_sender(mailbox, message)
    for attachment in attachments:
        message.add_attachment(**attachment)
    return message


def check_sender(mailbox, message):
    """Refuse to send as someone else (the emulator grants no send-as rights)."""
    for pair in (message.from_addr, message.sender):
        if pair is not None and pair[1].lower() != mailbox.email.lower():
            raise GraphRefusal(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the "
                "right to send mail on behalf of the specified sending account.",
            )
    owner = (mailbox.display_name, mailbox.email)
    message.from_addr = owner if message.from_addr is None else message.from_addr
    message.sender = message.sender or message.from_addr


def check_recipients(message):
    """Refuse a message addressed to nobody."""
    if not message.all_recipients():
        raise bad_request(
            "At least one recipient is required, but none were found.", "ErrorInvalidRecipients"
        )


def message_from_mime(mailbox, raw):
    """An unsaved message from the RFC 5322 bytes of a MIME sendMail."""
    try:
        fields = mime.parse_mime(raw)
    except mime.MimeError as error:
        raise bad_request(
            "The MIME content is not a valid message.", "ErrorMimeContentInvalid"
        ) from error
    attachments = fields.pop("attachments")
    fields.pop("sent")  # Exchange stamps its own submit time, whatever the Date header says
    message = Message(
        number=0,
        folder_no=0,
        **{name: value for name, value in fields.items() if value is not None},
    )
    check_sender(mailbox, message)
    for attachment in attachments:
        message.add_attachment(**attachment)
    return message


def check_send_rate(state, mailbox):
    """Count one message against the mailbox's sending limit, or refuse it with 429.

    Called once a message is known to be sendable: a refused one never counts. Microsoft
    documents the limit (30 messages a minute), not the answer past it; the status, code
    and wording here are inferred (ErrorExceededMessageLimit is the code clients meet when
    Outlook stops a mailbox's sending for its daily limit).
    """
    settings = state.settings
    wait = state.send_rate.try_submit(mailbox.email, settings.send_limit, settings.send_window)
    if wait is not None:
        raise GraphRefusal(
            429,
            "ErrorExceededMessageLimit",
            "Message submission rate limit exceeded.",
            headers={"Retry-After": str(wait)},
        )


def send(state, mailbox, message, save_to_sent=True, request_format="json", request=None):
    """Send an unsaved message: file the Sent Items copy, log it, deliver it.

    Returns the Sent Items copy (``None`` when not saved).
    """
    check_recipients(message)
    check_send_rate(state, mailbox)
    now = int(time.time())
    message.sent = message.received = now
    message.is_read, message.is_draft = True, False
    with mailbox.lock:
        if save_to_sent:
            message = mailbox.add_message(mailbox.folder("sentitems"), message)
        else:
            mailbox.assign_thread(message)
        thread = (message.conversation_guid, message.conversation_index)
        entry = _log_entry(mailbox, message, request_format, request)
        mailbox.log_sent(entry)
        outgoing = clone_message(message)
    delivered = deliver(state, outgoing, thread)
    with mailbox.lock:
        entry["delivered_to"] = delivered
    return message if save_to_sent else None


def send_draft(state, mailbox, draft):
    """Send a saved draft: it moves to Sent Items (its immutable id stays) and goes out."""
    check_recipients(draft)
    now = int(time.time())
    with mailbox.lock:
        current = mailbox.message_by_number(draft.number)
        if current is None or not current.is_draft:
            raise bad_request("Only draft messages can be sent.", "ErrorInvalidOperation")
        check_sender(mailbox, current)
        check_send_rate(state, mailbox)
        sent = mailbox.move_message(
            current,
            mailbox.folder("sentitems"),
            is_draft=False,
            is_read=True,
            sent=now,
            received=now,
        )
        thread = (sent.conversation_guid, sent.conversation_index)
        entry = _log_entry(mailbox, sent, "draft", None)
        mailbox.log_sent(entry)
        outgoing = clone_message(sent)
    delivered = deliver(state, outgoing, thread)
    with mailbox.lock:
        entry["delivered_to"] = delivered
    return sent


def _log_entry(mailbox, message, request_format, request):
    entry = {
        "sent_at": iso(message.sent),
        "format": request_format,
        "from": message.from_addr[1] if message.from_addr else mailbox.email,
        "to": [address for _name, address in message.to],
        "cc": [address for _name, address in message.cc],
        "bcc": [address for _name, address in message.bcc],
        "recipients": message.all_recipients(),
        "subject": message.subject,
        "internetMessageId": message.internet_message_id,
        "conversationIndex": message.conversation_index.hex(),
        "attachments": [a.name for a in message.attachments],
        "mime": mime.build_mime(message).decode("utf-8", "replace"),
        "delivered_to": [],
    }
    if request_format == "mime":
        entry["request_mime"] = request
    elif request is not None:
        entry["request_json"] = request
    if message.number:
        entry["id"] = mailbox.message_id(message, immutable=True)
    return entry


def deliver(state, message, thread):
    """Copy a sent message into the Inbox of each emulated recipient; their addresses."""
    delivered = []
    for address in message.all_recipients():
        user = state.user(address)
        if user is None or user.mailbox is None:
            continue
        inbox_copy = unfiled_copy(message)
        inbox_copy.bcc = []
        inbox_copy.is_read = False
        inbox_copy.conversation_guid = b""
        inbox_copy.received = int(time.time())
        # Recipients never see the Bcc line, not even among the raw headers.
        inbox_copy.headers = received_headers(message) + [
            header for header in message.headers or () if header[0].lower() != "bcc"
        ]
        mailbox = user.mailbox
        with mailbox.lock:
            mailbox.add_message(mailbox.folder("inbox"), inbox_copy, thread_hint=thread)
        delivered.append(user.email)
    return delivered


def received_headers(message):
    """Trace headers an Exchange Online mailbox adds on delivery."""
    sender_domain = (message.from_addr or ("", "unknown"))[1].rpartition("@")[2]
    moment = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    return [
        (
            "Received",
            "from %s by %s with Microsoft SMTP Server (version=TLS1_2); %s"
            % (sender_domain, _RELAY, moment),
        ),
        (
            "Authentication-Results",
            "spf=pass smtp.mailfrom=%s; dkim=pass header.d=%s" % (sender_domain, sender_domain),
        ),
        ("X-MS-Exchange-Organization-SCL", "1"),
    ]


def _comment_html(comment):
    if "<" in comment and ">" in comment:
        return comment
    return html.escape(comment).replace("\n", "<br>")


def _addresses_html(pairs):
    return "; ".join(html.escape("%s <%s>" % pair) for pair in pairs)


def _quoted(original, comment):
    header = [
        "<b>From:</b> %s" % _addresses_html([original.from_addr] if original.from_addr else []),
        "<b>Sent:</b> %s" % html.escape(iso(original.sent or original.received)),
        "<b>To:</b> %s" % _addresses_html(original.to),
    ]
    if original.cc:
        header.append("<b>Cc:</b> %s" % _addresses_html(original.cc))
    header.append("<b>Subject:</b> %s" % html.escape(original.subject or ""))
    original_html = convert(original.body, original.body_type, "html")
    return (
        '<html><body><div>%s</div><hr style="display:inline-block;width:98%%">'
        '<div id="divRplyFwdMsg">%s</div><div>%s</div></body></html>'
        % (_comment_html(comment or ""), "<br>".join(header), original_html)
    )


def _prefixed(subject, prefix):
    subject = subject or ""
    if subject.lower().startswith(prefix.lower()):
        return subject
    return "%s %s" % (prefix, subject)


def compose_response(mailbox, original, kind, comment=None, fields=None):
    """An unsaved reply, reply-all or forward of ``original``.

    ``fields`` (Graph message fields) override what the response would otherwise get;
    giving both a comment and a body is refused, as Graph does.
    """
    fields = dict(fields or {})
    if comment is not None and "body" in fields:
        raise bad_request(
            "The comment and the message body cannot both be set.", "ErrorInvalidRequest"
        )
    me = mailbox.email.lower()
    owner = (mailbox.display_name, mailbox.email)
    from_me = bool(original.from_addr) and original.from_addr[1].lower() == me
    to, cc = [], []
    if kind in ("reply", "replyAll"):
        if from_me:
            to = list(original.to)
        else:
            to = list(original.reply_to) or ([original.from_addr] if original.from_addr else [])
        if kind == "replyAll":
            seen = {address.lower() for _name, address in to} | {me}
            for pair in ([] if from_me else original.to) + original.cc:
                if pair[1].lower() not in seen:
                    seen.add(pair[1].lower())
                    (to if pair in original.to else cc).append(pair)
    prefix = "FW:" if kind == "forward" else "RE:"
    response = Message(
        number=0,
        folder_no=0,
        subject=_prefixed(original.subject, prefix),
        body=_quoted(original, comment),
        body_type="html",
        from_addr=owner,
        sender=owner,
        to=to,
        cc=cc,
        in_reply_to=original.internet_message_id,
        references=[*original.references, original.internet_message_id],
    )
    if kind == "forward":
        for attachment in original.attachments:
            response.add_attachment(
                attachment.name,
                attachment.content_type,
                attachment.data,
                attachment.is_inline,
                attachment.content_id,
            )
    for attachment in fields.pop("attachments", []):
        response.add_attachment(**attachment)
    for name, value in fields.items():
        setattr(response, name, value)
    check_sender(mailbox, response)
    return response
