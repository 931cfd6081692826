"""What one run of a sync worker keeps from one step to the next.

A worker run applies page after page, one transaction each. Two things need not start
over at every page:

- the Graph client of each mailbox: its connections (TLS) and its tokens stay warm;
- when open mailbox screens were last told about a folder's backfill: a notice per page
  (each one a connection of its own for PostgreSQL's NOTIFY) is more than a screen can
  show; one every few seconds keeps its counts moving;
- the next page of a backfill: Graph is asked for it in the background while the
  current page is written to the database, so the two waits overlap instead of adding
  up. The page is used only if the folder's stored cursor is still the link it was
  asked with when the folder comes round again; any other outcome (another worker took
  the folder, the request failed, the run ended) drops it, and the step asks Graph
  itself, meeting whatever error there is on its own path.

A prefetched page is what Graph answered at the time it was asked: applying it a moment
later is no different from applying a page that took that long to arrive, and changes
made since come in later pages or rounds, as always. Nothing of it survives the process:
the stored cursor is the only state, so a crash loses nothing.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

_logger = logging.getLogger(__name__)

# Pages held at once (each ~1-2 MB for 500 messages): one per folder in rotation; more
# folders than this simply fetch their pages in their own step.
MAX_PREFETCHED = 8
# A prefetched page not there by then is asked for again in the step.
TAKE_TIMEOUT_SECONDS = 120


class SyncRun:
    """The clients and prefetched pages of one worker run. ``prefetch`` False for a
    single step: nothing would come to take the page."""

    def __init__(self, prefetch=True):
        self._clients = {}
        self._prefetched = {}
        self._noticed_at = {}
        self._executor = ThreadPoolExecutor(1, "maildesk-prefetch") if prefetch else None

    def client(self, key, open_client):
        """The run's open client for mailbox ``key``; ``open_client()`` makes one."""
        if key not in self._clients:
            self._clients[key] = open_client()
        return self._clients[key]

    def notice_due(self, key, every):
        """True (and noted) when folder ``key`` was last announced over ``every`` seconds
        ago in this run, or never."""
        now = time.monotonic()
        if now - self._noticed_at.get(key, float("-inf")) < every:
            return False
        self._noticed_at[key] = now
        return True

    def prefetch(self, key, link, fetch):
        """Ask for the page behind ``link`` of folder ``key`` in the background;
        ``fetch(link)`` returns it."""
        if self._executor is None:
            return
        self._drop(key)
        if len(self._prefetched) >= MAX_PREFETCHED:
            return
        self._prefetched[key] = (link, self._executor.submit(fetch, link))

    def prefetched_keys(self):
        """The folders whose next page this run holds or is fetching."""
        return list(self._prefetched)

    def take(self, key, link):
        """The page prefetched for folder ``key`` at ``link``, or None."""
        entry = self._prefetched.pop(key, None)
        if entry is None:
            return None
        prefetched_link, future = entry
        if prefetched_link != link:
            future.cancel()
            return None
        try:
            return future.result(TAKE_TIMEOUT_SECONDS)
        except Exception as error:  # the step asks again and meets the error itself
            _logger.info("MailDesk: a prefetched page failed (%s); asking again", error)
            return None

    def _drop(self, key):
        entry = self._prefetched.pop(key, None)
        if entry is not None:
            entry[1].cancel()

    def close(self):
        """End the run: pages nobody took are dropped, clients closed."""
        for key in list(self._prefetched):
            self._drop(key)
        if self._executor is not None:
            # A request under way is waited for: its thread uses a client closed below.
            self._executor.shutdown(wait=True, cancel_futures=True)
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()
