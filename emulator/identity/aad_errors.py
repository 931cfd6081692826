"""Error answers of the identity platform (AADSTS codes).

The token endpoint answers ``{error, error_description, error_codes, timestamp, trace_id,
correlation_id, error_uri}``; the description starts with ``AADSTSnnnnn:`` and ends with
the trace lines Entra ID appends.
"""

import uuid
from datetime import datetime, timezone

from ..server.http_util import json_response

NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def aad_description(code, message, trace_id, correlation_id, timestamp):
    """``AADSTSnnnnn: message`` followed by the trace lines, as Entra ID writes it."""
    return "AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s" % (
        code,
        message,
        trace_id,
        correlation_id,
        timestamp,
    )


def oauth_error(request, error, code, message, status=None, suberror=None):
    """A token-endpoint error: HTTP 400 (401 for ``invalid_client``) with the AAD body."""
    if status is None:
        status = 401 if error == "invalid_client" else 400
    trace_id = str(uuid.uuid4())
    # Entra ID echoes the client's correlation id when it sends one.
    correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    timestamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    payload = {
        "error": error,
        "error_description": aad_description(code, message, trace_id, correlation_id, timestamp),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": request.host_url.rstrip("/") + "/error?code=%d" % code,
    }
    if suberror:
        payload["suberror"] = suberror
    return json_response(payload, status=status, headers=NO_STORE)


def missing_parameter(request, name):
    """AADSTS900144: a required parameter is absent."""
    return oauth_error(
        request,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: '%s'." % name,
    )


def unknown_app_message(client_id, tenant_id):
    """AADSTS700016's text."""
    return (
        "Application with identifier '%s' was not found in the directory '%s'. This can "
        "happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You may have sent your "
        "authentication request to the wrong tenant." % (client_id, tenant_id)
    )


def redirect_mismatch_message(redirect_uri, client_id):
    """AADSTS50011's text."""
    return (
        "The redirect URI '%s' specified in the request does not match the redirect URIs "
        "configured for the application '%s'. Make sure the redirect URI sent in the "
        "request matches one added to your application in the Azure portal."
        % (redirect_uri, client_id)
    )
