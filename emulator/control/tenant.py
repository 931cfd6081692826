"""The control API (``/_emulator/...``) for everything but mailboxes.

JSON in, JSON out, no token. Errors are ``{"error": "..."}`` with 400 or 404.
"""

from ..server.faults import FaultSpecError
from ..server.http_util import json_response
from ..state.model import REMOVED_REASONS, ClientSecret
from .chaos_setting import chaos_setting_json, parse_chaos_setting
from .routing import ControlError, answer, compile_routes, found, request_json


def handle_control(request, path, state):
    """Answer one control call; ``path`` follows ``/_emulator``."""
    return answer(_ROUTES, request, path, state)


def _string(body, name, required=True):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ControlError("%s must be a non-empty string" % name)
    return value.strip()


def _boolean(body, name, default=False):
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ControlError("%s must be true or false" % name)
    return value


def _known_user(state, email):
    return found(state.user(email), "user %s" % email)


def _reset(request, state):
    state.reset()
    return json_response({"reset": True})


def _seed(request, state):
    from ..seeds.apply import apply_seed

    spec = _string(request_json(request), "spec")
    try:
        apply_seed(state, spec)
    except ValueError as error:
        raise ControlError(str(error)) from error
    with state.lock:
        return json_response(
            {
                "spec": spec,
                "apps": [app.to_json() for app in state.apps.values()],
                "users": [user.to_json() for user in state.users.values()],
            }
        )


def _list_apps(request, state):
    with state.lock:
        return json_response({"apps": [app.to_json() for app in state.apps.values()]})


def _add_app(request, state):
    body = request_json(request)
    redirect_uris = body.get("redirect_uris")
    if not isinstance(redirect_uris, list) or not all(
        isinstance(uri, str) and uri for uri in redirect_uris
    ):
        raise ControlError("redirect_uris must be a list of URLs")
    app = state.add_app(
        _string(body, "client_id"),
        _string(body, "client_secret"),
        redirect_uris,
        display_name=_string(body, "display_name", required=False) or "MailDesk",
    )
    return json_response(app.to_json(), status=201)


def _change_secret(request, state, client_id):
    body = request_json(request)
    new_secret = _string(body, "client_secret", required=False)
    expired = _boolean(body, "expired")
    with state.lock:
        app = found(state.apps.get(client_id), "app %s" % client_id)
        if new_secret is not None:
            # Rotation replaces the secret: the old value stops working at once.
            app.secrets = [ClientSecret(new_secret, expired=expired)]
        elif "expired" in body:
            for secret in app.secrets:
                secret.expired = expired
        else:
            raise ControlError("give client_secret (to rotate) or expired")
        return json_response(app.to_json())


def _list_users(request, state):
    with state.lock:
        return json_response({"users": [user.to_json() for user in state.users.values()]})


def _add_user(request, state):
    body = request_json(request)
    email = _string(body, "email")
    if "@" not in email:
        raise ControlError("email must be an address")
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        raise ControlError("password must be a string")
    existed = state.user(email) is not None
    user = state.add_user(
        email,
        _string(body, "display_name", required=False) or email.split("@")[0],
        password=password,
    )
    return json_response(user.to_json(), status=200 if existed else 201)


def _revoke(request, state):
    body = request_json(request)
    user = _known_user(state, _string(body, "email"))
    client_id = _string(body, "client_id", required=False)
    if client_id is not None:
        found(state.app(client_id), "app %s" % client_id)
    revoked = state.tokens.revoke(user.email, client_id)
    return json_response({"email": user.email, "client_id": client_id, "revoked": revoked})


def _expire_tokens(request, state):
    body = request_json(request)
    email = _string(body, "email", required=False)
    if email is not None:
        email = _known_user(state, email).email
    expired = {"access_tokens": state.tokens.expire_access_tokens(email)}
    if _boolean(body, "refresh"):
        expired["refresh_tokens"] = state.tokens.expire_refresh_tokens(email)
    return json_response({"email": email, "expired": expired})


_SETTING_RULES = {
    "auto_consent": (bool, None),
    "auto_consent_user": (str, None),
    "access_token_lifetime": (int, 1),
    "concurrency_limit": (int, 1),
    "concurrency_retry_after": (int, 0),
    "rate_limit": (int, 1),
    "rate_window": (int, 1),
    "max_page_size": (int, 1),
    "removed_reason": (str, None),
    "upload_budget_bytes": (int, 1),
    "upload_window": (int, 1),
    "send_limit": (int, 1),
    "send_window": (int, 1),
    "subscription_limit": (int, 1),
    "validation_timeout": (int, 1),
}


def _settings_json(state):
    return dict(state.settings.to_json(), chaos=chaos_setting_json(state.chaos))


def _get_settings(request, state):
    with state.lock:
        return json_response(_settings_json(state))


def _set_settings(request, state):
    body = request_json(request)
    # Chaos is not a Settings field: it lives with its RNG, and is not saved.
    chaos = parse_chaos_setting(body.pop("chaos")) if "chaos" in body else None
    unknown = sorted(set(body) - set(_SETTING_RULES))
    if unknown:
        raise ControlError("unknown settings: %s" % ", ".join(unknown))
    for name, value in body.items():
        kind, minimum = _SETTING_RULES[name]
        if name == "auto_consent_user" and value in (None, ""):
            continue
        if isinstance(value, bool) != (kind is bool) or not isinstance(value, kind):
            raise ControlError("%s must be of type %s" % (name, kind.__name__))
        if minimum is not None and value < minimum:
            raise ControlError("%s must be at least %d" % (name, minimum))
        if name == "removed_reason" and value not in REMOVED_REASONS:
            raise ControlError("removed_reason must be one of %s" % ", ".join(REMOVED_REASONS))
    with state.lock:
        for name, value in body.items():
            if name == "auto_consent_user":
                value = value or None
            setattr(state.settings, name, value)
        if chaos is not None:
            state.chaos.configure(*chaos)
        return json_response(_settings_json(state))


def _list_faults(request, state):
    return json_response({"faults": state.faults.pending()})


def _add_fault(request, state):
    try:
        fault = state.faults.add(request_json(request))
    except FaultSpecError as error:
        raise ControlError(str(error)) from error
    return json_response(fault.to_json(), status=201)


def _clear_faults(request, state):
    state.faults.clear()
    return json_response({"faults": []})


def _get_requests(request, state):
    recent = request.args.get("recent", type=int)
    snapshot = state.request_log.snapshot(recent=recent)
    snapshot.update(state.concurrency.stats())
    snapshot["chaos"] = state.chaos.injected()
    return json_response(snapshot)


def _clear_requests(request, state):
    state.request_log.clear()
    state.chaos.clear_injected()
    state.concurrency.reset_stats()
    return json_response({"total": 0})


_ROUTES = compile_routes(
    [
        ("POST", r"/reset", _reset),
        ("POST", r"/seed", _seed),
        ("GET", r"/apps", _list_apps),
        ("POST", r"/apps", _add_app),
        ("POST", r"/apps/([^/]+)/secret", _change_secret),
        ("GET", r"/users", _list_users),
        ("POST", r"/users", _add_user),
        ("POST", r"/grants/revoke", _revoke),
        ("POST", r"/tokens/expire", _expire_tokens),
        ("GET", r"/settings", _get_settings),
        ("POST", r"/settings", _set_settings),
        ("GET", r"/faults", _list_faults),
        ("POST", r"/faults", _add_fault),
        ("DELETE", r"/faults", _clear_faults),
        ("GET", r"/requests", _get_requests),
        ("DELETE", r"/requests", _clear_requests),
    ]
)
