"""Scope names as the identity platform reads them.

Graph permissions may be requested bare (``Mail.Send``) or as a resource URI
(``https://graph.microsoft.com/Mail.Send``); both mean the same delegated permission.
"""

# OpenID Connect scopes: they shape the token response but grant no Graph access.
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")

# What ``.default`` expands to. The emulator keeps no per-app permission list, so the
# permissions a mail client registers stand in for "everything configured for the app".
DEFAULT_APP_PERMISSIONS = ("User.Read", "Mail.ReadWrite", "Mail.Send")

# What the consent page tells the user each permission allows.
PERMISSION_DESCRIPTIONS = {
    "openid": "Sign you in",
    "profile": "View your basic profile",
    "email": "View your email address",
    "offline_access": "Maintain access to data you have given it access to",
    "User.Read": "Sign you in and read your profile",
    "Mail.Read": "Read your mail",
    "Mail.ReadBasic": "Read basic information of your mail",
    "Mail.ReadWrite": "Read and write access to your mail",
    "Mail.Send": "Send mail as you",
    "MailboxSettings.Read": "Read your mailbox settings",
    "MailboxSettings.ReadWrite": "Read and write your mailbox settings",
}

_OIDC_BY_LOWER = {name.lower(): name for name in OIDC_SCOPES}
# Permission names are case-insensitive; answer with the spelling Microsoft uses.
_KNOWN_BY_LOWER = {name.lower(): name for name in PERMISSION_DESCRIPTIONS}


def parse_scopes(raw):
    """Split a space-separated scope parameter into normalised names, keeping order.

    OIDC scopes come back lower case, Graph permissions without their resource prefix,
    ``.default`` expanded; duplicates are dropped.
    """
    names = []
    for token in (raw or "").split():
        for name in _normalise(token):
            if name not in names:
                names.append(name)
    return names


def _normalise(token):
    if token.lower() in _OIDC_BY_LOWER:
        return [_OIDC_BY_LOWER[token.lower()]]
    if "://" in token:
        token = token.rstrip("/").rsplit("/", 1)[-1]
    if token == ".default":
        return list(DEFAULT_APP_PERMISSIONS)
    return [_KNOWN_BY_LOWER.get(token.lower(), token)] if token else []


def resource_scopes(names):
    """Only the Graph permissions among ``names`` (no OIDC scopes)."""
    return [name for name in names if name not in OIDC_SCOPES]


def describe(name):
    """A sentence for the consent page."""
    return PERMISSION_DESCRIPTIONS.get(name, "Use the %s permission" % name)
