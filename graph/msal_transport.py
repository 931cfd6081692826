"""The HTTP transport handed to msal: requests with our CA bundle and timeout.

MailDesk builds a fresh msal application for every token operation, because msal
remembers failed token answers (a 400 for 60 s, a 429/5xx for Retry-After seconds)
inside the application and would replay them after the cause was fixed. Building an
application fetches the authority's OpenID configuration, so this transport keeps
successful discovery answers for a day, shared by every application in the process.
"""

import threading
import time

import requests
from requests.adapters import HTTPAdapter

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
DISCOVERY_TTL = 24 * 3600

_discovery_lock = threading.Lock()
_discovery_answers = {}


class StoredResponse:
    """A response as msal reads it: ``status_code``, ``text`` and ``headers``."""

    def __init__(self, status_code, text, headers):
        self.status_code = status_code
        self.text = text
        self.headers = headers

    def raise_for_status(self):
        """Mirror ``requests.Response.raise_for_status`` for the statuses we keep (2xx)."""
        if self.status_code >= 400:
            raise requests.HTTPError("HTTP %s" % self.status_code)


class MsalTransport:
    """A requests session shaped like msal's ``http_client`` (``get``/``post``/``close``)."""

    def __init__(self, verify=True, timeout=30):
        self._verify = verify
        self._timeout = timeout
        self._session = requests.Session()
        # One retry when a connection cannot be made at all: nothing was sent yet,
        # so even a code redemption is safe to repeat.
        adapter = HTTPAdapter(max_retries=1)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def get(self, url, params=None, headers=None, **kwargs):
        """GET ``url``; OpenID discovery answers are served from the shared store."""
        if not url.endswith(DISCOVERY_SUFFIX) or params:
            return self._session.get(url, params=params, headers=headers, **self._options(kwargs))
        key = (url, str(self._verify))
        with _discovery_lock:
            stored = _discovery_answers.get(key)
            if stored and stored[0] > time.monotonic():
                return stored[1]
        response = self._session.get(url, headers=headers, **self._options(kwargs))
        if response.status_code == 200:
            answer = StoredResponse(200, response.text, dict(response.headers))
            with _discovery_lock:
                _discovery_answers[key] = (time.monotonic() + DISCOVERY_TTL, answer)
            return answer
        return response

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        """POST to ``url`` (token redemption and refresh)."""
        return self._session.post(
            url, params=params, data=data, headers=headers, **self._options(kwargs)
        )

    def _options(self, kwargs):
        # ``verify`` goes on every request: a Session-level value loses against the
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE environment variables.
        return {"verify": self._verify, "timeout": self._timeout, **kwargs}

    def close(self):
        """Release the pooled connections."""
        self._session.close()
