"""Building Graph URLs from ids, and walking paged collections."""

from urllib.parse import quote


def segment(identifier):
    """An id or well-known name as one URL path segment.

    Exchange ids are base64 and may contain ``/``, ``+`` or ``=``: everything but
    unreserved characters is percent-encoded so an id can never change the path.
    """
    if not identifier:
        raise ValueError("an id is required")
    return quote(str(identifier), safe="")


def iter_collection(session, path, params=None):
    """Yield every item of a Graph collection, following ``@odata.nextLink``.

    Query options go on the first request only: Graph encodes them in its next links.
    """
    url, query = path, params
    while url:
        payload = session.get_json(url, params=query)
        yield from payload.get("value") or ()
        url, query = payload.get("@odata.nextLink"), None
