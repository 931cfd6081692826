"""The emulator's state as JSON-able data and back.

Saved: apps, users (with their mailboxes), every issued code and token with the consent
grants, the settings and the live change-notification subscriptions (not their delivery
counters or queued notifications). Not saved: the request log, pending faults, concurrency and
rate counters, and attachment upload sessions: they describe traffic, not the tenant.
"""

import dataclasses

from .mailbox_snapshot import dump_mailbox, load_mailbox
from .model import App, ClientSecret, Settings, User

FORMAT = "maildesk-emulator-state"
VERSION = 1


class SnapshotError(ValueError):
    """The data is not a state this emulator wrote."""


def dump_state(state):
    """Everything worth keeping across a restart, as JSON-able data."""
    with state.lock:
        apps = [app.to_json() for app in state.apps.values()]
        users = list(state.users.values())
        settings = dataclasses.asdict(state.settings)
    return {
        "format": FORMAT,
        "version": VERSION,
        "apps": apps,
        # One mailbox lock at a time, and never under the state lock: the order every
        # other path takes them in.
        "users": [_dump_user(user) for user in users],
        "settings": settings,
        "tokens": state.tokens.snapshot(),
        "subscriptions": state.subscriptions.dump(),
    }


def _dump_user(user):
    return {
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "password": user.password,
        "mailbox": dump_mailbox(user.mailbox) if user.mailbox is not None else None,
    }


def load_state(state, data):
    """Replace the state's apps, users, tokens and settings with saved ``data``."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError("not an emulator state file")
    if data.get("version") != VERSION:
        raise SnapshotError(
            "state file version %r, this emulator reads %d" % (data.get("version"), VERSION)
        )
    try:
        apps = {
            item["client_id"]: App(
                client_id=item["client_id"],
                secrets=[ClientSecret(**secret) for secret in item["secrets"]],
                redirect_uris=list(item["redirect_uris"]),
                display_name=item["display_name"],
            )
            for item in data["apps"]
        }
        users = {}
        for item in data["users"]:
            user = User(
                id=item["id"],
                email=item["email"],
                display_name=item["display_name"],
                password=item["password"],
            )
            if item["mailbox"] is not None:
                user.mailbox = load_mailbox(item["mailbox"])
            users[user.email.strip().lower()] = user
        settings = Settings(**data["settings"])
        state.tokens.restore(data["tokens"])
        # Files written before subscriptions existed have none.
        state.subscriptions.load(data.get("subscriptions", []), users)
    except (KeyError, TypeError, ValueError) as error:
        raise SnapshotError("the state file is damaged: %r" % error) from error
    with state.lock:
        state.apps = apps
        state.users = users
        state.settings = settings
