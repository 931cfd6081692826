"""Attachment upload sessions: the bytes of a large file on their way to a draft.

Graph opens a session (``createUploadSession``) and answers a pre-authenticated
``uploadUrl``; the client then PUTs the file in order, in ranges of at most 4 MB, with no
Authorization header. Sessions live in memory only: like Microsoft's, they are short-lived
and a restart simply ends them.
"""

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

# Graph's documented bounds: smaller files go in one POST, larger ones are refused.
MIN_SIZE = 3 * 1024 * 1024
MAX_SIZE = 150 * 1024 * 1024
MAX_CHUNK = 4 * 1024 * 1024
# How long a session's uploadUrl works. Microsoft shows a fixed expirationDateTime a few
# minutes ahead and does not document the span (inferred).
SESSION_LIFETIME = 15 * 60


@dataclass
class UploadSession:
    """One file being uploaded to one draft."""

    id: str
    mailbox_email: str
    message_number: int
    name: str
    content_type: str
    size: int
    is_inline: bool
    content_id: str | None
    expires_at: float
    data: bytearray = field(default_factory=bytearray)

    @property
    def next_expected(self):
        """Where the next PUT must start (Outlook names a single offset, not ranges)."""
        return len(self.data)


class UploadSessions:
    """The open sessions, each reachable only with its own signed authtoken."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sessions = {}
        # Signs authtokens; a new one per process, since sessions die with the process.
        self._key = secrets.token_bytes(32)

    def open(
        self,
        mailbox_email,
        message_number,
        name,
        content_type,
        size,
        is_inline,
        content_id,
        now=None,
    ):
        """A new session; returns ``(session, authtoken)``."""
        now = time.time() if now is None else now
        session = UploadSession(
            id=secrets.token_urlsafe(24),
            mailbox_email=mailbox_email,
            message_number=message_number,
            name=name,
            content_type=content_type,
            size=size,
            is_inline=is_inline,
            content_id=content_id,
            expires_at=now + SESSION_LIFETIME,
        )
        with self._lock:
            self._forget_expired(now)
            self._sessions[session.id] = session
        return session, self._authtoken(session.id)

    def _authtoken(self, session_id):
        return hmac.new(self._key, session_id.encode(), hashlib.sha256).hexdigest()

    def _forget_expired(self, now):
        for session_id in [key for key, s in self._sessions.items() if s.expires_at <= now]:
            del self._sessions[session_id]

    def owner(self, session_id):
        """The mailbox address a session belongs to, or ``None``."""
        with self._lock:
            session = self._sessions.get(session_id)
            return session.mailbox_email if session else None

    def find(self, session_id, authtoken, now=None):
        """``(session, None)`` or ``(None, "token" | "gone")``."""
        if not authtoken or not hmac.compare_digest(self._authtoken(session_id), authtoken):
            return None, "token"
        now = time.time() if now is None else now
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.expires_at <= now:
                return None, "gone"
            return session, None

    def append(self, session, start, chunk):
        """Add the range starting at ``start``; False when the upload stands elsewhere."""
        with self._lock:
            if start != len(session.data):
                return False
            session.data.extend(chunk)
            return True

    def close(self, session_id):
        """End a session (uploaded, cancelled or failed for good)."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def clear(self):
        """End every session."""
        with self._lock:
            self._sessions.clear()
