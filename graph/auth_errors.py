"""Turn the identity platform's OAuth error answers into MailDesk's typed errors."""

import re

from .errors import (
    AuthorizationDenied,
    ClientConfigurationError,
    GraphError,
    ReauthorizationRequired,
    TransientError,
)

# AADSTS numbers that mean the user's grant is gone: only a new sign-in helps.
REAUTHORIZE_AADSTS = frozenset(
    {
        70000,  # refresh token invalid or malformed
        70008,  # code or refresh token expired
        700082,  # refresh token expired through inactivity
        50173,  # grant revoked (password change, admin revocation)
        54005,  # authorization code already redeemed
        501481,  # PKCE code_verifier does not match
        65001,  # consent missing or withdrawn
        50076,  # multi-factor authentication now required
        50079,  # multi-factor enrolment required
        53003,  # blocked by conditional access
    }
)

# AADSTS numbers that mean the Azure app registration or its secret is wrong.
CLIENT_CONFIGURATION_AADSTS = frozenset(
    {
        7000215,  # wrong client secret
        7000222,  # client secret expired
        7000218,  # no client secret sent
        700016,  # application not found in the directory
        50011,  # redirect URI not registered for the app
        90002,  # tenant not found
        900023,  # tenant name malformed
    }
)

REAUTHORIZE_ERRORS = frozenset(
    {
        "invalid_grant",
        "interaction_required",
        "consent_required",
        "login_required",
    }
)
CLIENT_CONFIGURATION_ERRORS = frozenset(
    {
        "invalid_client",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error"})

_AADSTS_PATTERN = re.compile(r"AADSTS(\d+)")


def aadsts_code(answer):
    """The AADSTS number of an OAuth error answer, or None."""
    codes = answer.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    match = _AADSTS_PATTERN.search(str(answer.get("error_description") or ""))
    return int(match.group(1)) if match else None


def readable_description(answer):
    """The first line of ``error_description`` (the rest is trace ids and timestamps)."""
    description = str(answer.get("error_description") or answer.get("error") or "")
    return description.strip().splitlines()[0] if description.strip() else "sign-in failed"


def error_for_token_answer(answer):
    """The typed error for a failed token request answer (msal's error dict)."""
    error = answer.get("error")
    if not isinstance(error, str):
        # Not an OAuth answer at all (a gateway page, a Graph-style envelope): the
        # service is unwell, which says nothing about the grant.
        return TransientError("the sign-in service answered with an unexpected error")
    code = aadsts_code(answer)
    message = readable_description(answer)
    kwargs = {"code": error, "aadsts": code}
    if code in CLIENT_CONFIGURATION_AADSTS:
        return ClientConfigurationError(message, **kwargs)
    if code in REAUTHORIZE_AADSTS:
        return ReauthorizationRequired(message, **kwargs)
    if error in CLIENT_CONFIGURATION_ERRORS:
        return ClientConfigurationError(message, **kwargs)
    if error in REAUTHORIZE_ERRORS:
        return ReauthorizationRequired(message, **kwargs)
    if error in TRANSIENT_ERRORS:
        return TransientError(message, code=error)
    return GraphError(message, code=error)


def error_for_authorize_answer(answer):
    """The typed error for an ``error=`` redirect from the authorize endpoint.

    Anything that is not the app's fault or a passing outage ends the sign-in as denied
    (access_denied, consent_required, interaction_required, ...): the user starts again.
    """
    code = aadsts_code(answer)
    error = answer.get("error")
    message = readable_description(answer)
    if code in CLIENT_CONFIGURATION_AADSTS or error in CLIENT_CONFIGURATION_ERRORS:
        return ClientConfigurationError(message, code=error, aadsts=code)
    if error in TRANSIENT_ERRORS:
        return TransientError(message, code=error)
    return AuthorizationDenied(message, code=error, aadsts=code)
