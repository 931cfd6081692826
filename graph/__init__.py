"""MailDesk's client for the Microsoft identity platform and Microsoft Graph mail.

The only code in MailDesk that talks to Microsoft. It never imports odoo.

    app = OAuthApp(client_id, client_secret, login_url=CLOUDS["global"].login_url)
    flow = app.start_flow(redirect_uri, state)          # keep flow server-side
    # ... browser goes to flow["auth_uri"] and comes back to redirect_uri ...
    result = app.finish_flow(flow, request_args)        # store result.token_cache
    tokens = TokenProvider(app, result.token_cache, on_cache_changed=store)
    with GraphClient(tokens, graph_url=CLOUDS["global"].graph_url) as client:
        for page in client.delta_pages(folder_id, cursor=stored_cursor):
            apply(page.messages, page.removed)
            store_cursor(page.cursor)                   # in the same transaction

Failures are typed (see ``errors``): ``ReauthorizationRequired`` and
``ClientConfigurationError`` need a person, ``Throttled`` / ``TransientError`` only
time, ``SyncStateExpired`` a fresh delta round.
"""

from .auth import AuthResult, OAuthApp
from .client import GraphClient
from .clouds import CLOUDS, CloudEndpoints
from .delta import DEFAULT_LIST_FIELDS, DeltaPage
from .errors import (
    AuthenticationFailed,
    AuthorizationDenied,
    ClientConfigurationError,
    GraphError,
    MessageTooLarge,
    NotFound,
    PermissionDenied,
    ReauthorizationRequired,
    SendLimitExceeded,
    SyncStateExpired,
    Throttled,
    TransientError,
)
from .folders import FolderDeltaPage, is_search_folder
from .token_provider import TokenProvider

__all__ = [
    "CLOUDS",
    "DEFAULT_LIST_FIELDS",
    "AuthResult",
    "AuthenticationFailed",
    "AuthorizationDenied",
    "ClientConfigurationError",
    "CloudEndpoints",
    "DeltaPage",
    "FolderDeltaPage",
    "GraphClient",
    "GraphError",
    "MessageTooLarge",
    "NotFound",
    "OAuthApp",
    "PermissionDenied",
    "ReauthorizationRequired",
    "SendLimitExceeded",
    "SyncStateExpired",
    "Throttled",
    "TokenProvider",
    "TransientError",
    "is_search_folder",
]
