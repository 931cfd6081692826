"""URLs of the identity platform as a client reached it."""


def base_url(request):
    """``https://host:port`` as the client reached us (127.0.0.1 or localhost)."""
    return request.host_url.rstrip("/")


def issuer(request, state):
    """The issuer of every id_token: ``{base}/{tenant id}/v2.0``."""
    return "%s/%s/v2.0" % (base_url(request), state.tenant_id)
