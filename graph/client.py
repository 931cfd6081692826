"""``GraphClient``: everything MailDesk asks of one mailbox through Microsoft Graph."""

import time

from . import attachments, delta, folders, messages, send
from . import batch as batching
from .delta import DEFAULT_LIST_FIELDS
from .http import GraphSession


class GraphClient:
    """A mailbox on Microsoft Graph, safe to share between threads.

    ``token_provider(force_refresh=False) -> str`` supplies access tokens (see
    ``TokenProvider``); on a 401 the client asks once with ``force_refresh=True``.
    At most ``max_concurrency`` requests run at once (Exchange allows four per
    mailbox); the limit is shared by every client of the same mailbox in this process,
    identified by ``mailbox_key`` (by default the token provider's ``mailbox_key``, the
    signed-in account); ``shared_slots`` (an object with ``acquire(count, timeout)`` /
    ``release(count)``) extends that limit to other processes. Throttled and failed
    requests are retried as ``GraphSession`` explains, waiting with ``sleep``. A streamed
    body (``iter_mime``, ``iter_attachment_content``) keeps its slot until consumed or
    closed.
    """

    def __init__(
        self,
        token_provider,
        graph_url="https://graph.microsoft.com/v1.0",
        ca_bundle=None,
        timeout=30,
        max_retries=5,
        max_concurrency=4,
        sleep=time.sleep,
        max_retry_wait=300,
        mailbox_key=None,
        shared_slots=None,
    ):
        if mailbox_key is None:
            mailbox_key = getattr(token_provider, "mailbox_key", None)
        self._session = GraphSession(
            token_provider,
            graph_url,
            ca_bundle=ca_bundle,
            timeout=timeout,
            max_retries=max_retries,
            max_concurrency=max_concurrency,
            sleep=sleep,
            max_retry_wait=max_retry_wait,
            mailbox_key=mailbox_key,
            shared_slots=shared_slots,
        )

    @property
    def graph_url(self):
        """The Graph root this client talks to."""
        return self._session.graph_url

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def me(self):
        """The signed-in user (id, displayName, mail, userPrincipalName, ...)."""
        return self._session.get_json("/me")

    def get_folder(self, folder_id_or_well_known):
        """One folder by id or well-known name (``inbox``, ``sentitems``, ...)."""
        return folders.get_folder(self._session, folder_id_or_well_known)

    def iter_folders(self, include_hidden=True, page_size=folders.FOLDER_PAGE_SIZE):
        """Every folder of the mailbox (hidden ones included unless asked otherwise),
        parents before children, following every page."""
        return folders.iter_folders(
            self._session, include_hidden=include_hidden, page_size=page_size
        )

    def folder_delta_pages(self, cursor=None, page_size=folders.FOLDER_PAGE_SIZE):
        """The pages of a folder-tree delta round, as ``FolderDeltaPage`` objects.

        ``cursor`` None starts a first round (every folder); otherwise it is a stored
        nextLink or deltaLink. Raises ``SyncStateExpired`` when Graph no longer knows it.
        """
        return folders.folder_delta_pages(self._session, cursor=cursor, page_size=page_size)

    def delta_pages(
        self,
        folder_id,
        cursor=None,
        select=DEFAULT_LIST_FIELDS,
        page_size=200,
        newest_first=True,
        received_since=None,
    ):
        """The pages of a delta round of one folder, as ``DeltaPage`` objects.

        ``cursor`` None starts a round; otherwise it is a stored nextLink or deltaLink.
        Raises ``SyncStateExpired`` when Graph no longer knows the cursor.
        """
        return delta.delta_pages(
            self._session,
            folder_id,
            cursor=cursor,
            select=select,
            page_size=page_size,
            newest_first=newest_first,
            received_since=received_since,
        )

    def get_message(self, message_id, select=None, body_type="html"):
        """One message, with its body converted to ``body_type`` ("html" or "text")."""
        return messages.get_message(self._session, message_id, select=select, body_type=body_type)

    def iter_mime(self, message_id, chunk_size=65536):
        """Stream the MIME source of a message."""
        return messages.iter_mime(self._session, message_id, chunk_size=chunk_size)

    def get_mime(self, message_id):
        """The whole MIME source of a message."""
        return b"".join(self.iter_mime(message_id))

    def list_attachments(self, message_id):
        """Attachment metadata (no content) of a message."""
        return messages.list_attachments(self._session, message_id)

    def iter_attachment_content(self, message_id, attachment_id, chunk_size=65536):
        """Stream the raw bytes of one attachment."""
        return messages.iter_attachment_content(
            self._session, message_id, attachment_id, chunk_size=chunk_size
        )

    def send_mime(self, mime_bytes):
        """Send an RFC 5322 message; the sent copy lands in Sent Items. Mail over the
        4 MB request limit goes as a draft with its files uploaded separately."""
        send.send_mime(self._session, mime_bytes)

    def send_message(self, message, save_to_sent=True):
        """Send a Graph message resource."""
        send.send_message(self._session, message, save_to_sent=save_to_sent)

    def create_draft(self, message):
        """Save a new draft (a Graph message resource) in Drafts; returns it."""
        return send.create_draft(self._session, message)

    def create_response_draft(self, message_id, kind):
        """A draft replying to ("reply", "reply_all") or forwarding ("forward") a message,
        in its conversation; returns it."""
        return send.create_response_draft(self._session, message_id, kind)

    def add_attachment(self, message_id, name, content, content_type=None):
        """Attach a file (bytes) to a draft; a large one goes through an upload session."""
        attachments.add_attachment(
            self._session, message_id, name, content, content_type=content_type
        )

    def delete_attachment(self, message_id, attachment_id):
        """Remove an attachment from a draft."""
        messages.delete_attachment(self._session, message_id, attachment_id)

    def permanent_delete(self, message_id):
        """Delete a message for good (not into Recoverable Items)."""
        messages.permanent_delete(self._session, message_id)

    def reply(self, message_id, comment="", reply_all=False, message=None):
        """Reply or reply all, keeping the conversation."""
        send.reply(self._session, message_id, comment=comment, reply_all=reply_all, message=message)

    def forward(self, message_id, to_recipients, comment=""):
        """Forward a message to a list of addresses."""
        send.forward(self._session, message_id, to_recipients, comment=comment)

    def update_message(self, message_id, **fields):
        """Change isRead, flag, categories, importance (and subject/body of drafts)."""
        return messages.update_message(self._session, message_id, fields)

    def move_message(self, message_id, destination_id):
        """Move a message; returns it as it is in the destination."""
        return messages.move_message(self._session, message_id, destination_id)

    def delete_message(self, message_id):
        """Delete a message."""
        messages.delete_message(self._session, message_id)

    def fetch_messages(self, message_ids, select=DEFAULT_LIST_FIELDS):
        """``{id: message or None}``: the current list fields of each message (None: gone),
        20 per ``$batch`` round trip."""
        return messages.fetch_messages(self._session, message_ids, self.batch, select=select)

    def locate_messages(self, message_ids):
        """``{id: parentFolderId or None}``: where each message is now (None: gone)."""
        return messages.locate_messages(self._session, message_ids, self.batch)

    def batch(self, requests):
        """Run many requests through JSON batching, 20 per round trip."""
        return batching.batch(self._session, requests)

    def close(self):
        """Release pooled connections."""
        self._session.close()
