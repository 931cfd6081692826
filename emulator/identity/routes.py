"""The identity platform (login.microsoftonline.com, v2.0 endpoints): routing and discovery.

Any tenant segment is accepted (``common``, ``organizations``, ``consumers``, the tenant
id, a domain); every user belongs to the one emulated tenant.
"""

import re

from ..server.http_util import json_response
from .authorize import handle_authorize
from .token_endpoint import handle_token
from .urls import base_url, issuer

IDENTITY_ROUTE = re.compile(
    r"^/(?P<tenant>[^/]+)/(?P<endpoint>oauth2/v2\.0/authorize|oauth2/v2\.0/token"
    r"|v2\.0/\.well-known/openid-configuration|discovery/v2\.0/keys)$"
)

# Tenants that stand for "whichever tenant the user signs in to": Entra ID publishes the
# issuer of those with a literal {tenantid} placeholder.
MULTI_TENANT_NAMES = {"common", "organizations"}


def match_identity_route(path):
    """``(tenant, endpoint)`` when ``path`` is an identity endpoint, else None."""
    match = IDENTITY_ROUTE.match(path)
    if match is None:
        return None
    return match.group("tenant"), match.group("endpoint")


def handle_identity(request, tenant, endpoint, state):
    """Answer one identity-platform request."""
    if endpoint.endswith("authorize"):
        return handle_authorize(request, state)
    if endpoint.endswith("token"):
        return handle_token(request, state)
    if endpoint.endswith("openid-configuration"):
        return json_response(openid_configuration(request, state, tenant))
    return json_response({"keys": [state.signing_key.jwk(issuer(request, state))]})


def openid_configuration(request, state, tenant):
    """The OpenID Connect discovery document for ``tenant``."""
    base = base_url(request)
    issuer_tenant = "{tenantid}" if tenant.lower() in MULTI_TENANT_NAMES else state.tenant_id
    return {
        "token_endpoint": "%s/%s/oauth2/v2.0/token" % (base, tenant),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": "%s/%s/discovery/v2.0/keys" % (base, tenant),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": "%s/%s/v2.0" % (base, issuer_tenant),
        "request_uri_parameter_supported": False,
        "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (base, tenant),
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "nonce",
            "name",
            "oid",
            "tid",
            "preferred_username",
            "email",
            "ver",
        ],
        "tenant_region_scope": None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        # Entra ID names the Graph host here; the emulator serves Graph on its own origin.
        "msgraph_host": request.host,
        "rbac_url": "https://pas.windows.net",
    }
