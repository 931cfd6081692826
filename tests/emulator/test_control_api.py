"""The control API outside mailboxes: reset, seed, apps, users, settings, errors."""

import pytest

from emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DISPLAY_NAME,
    DEMO_EMAIL,
    DEMO_REDIRECT_URIS,
)


def test_reset_forgets_apps_users_settings_faults_and_log(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True})
    tenant.control("POST", "/faults", {"kind": "503", "count": 3})
    tenant.get(tenant.login + "/common/discovery/v2.0/keys")

    tenant.control("POST", "/reset")

    assert tenant.control("GET", "/apps") == {"apps": []}
    assert tenant.control("GET", "/users") == {"users": []}
    assert tenant.control("GET", "/settings")["auto_consent"] is False
    assert tenant.control("GET", "/faults") == {"faults": []}
    assert tenant.control("GET", "/requests")["total"] == 0


def test_seed_demo_creates_the_documented_identities(tenant):
    tenant.control("POST", "/reset")

    seeded = tenant.control("POST", "/seed", {"spec": "demo"})

    (app,) = [a for a in seeded["apps"] if a["client_id"] == DEMO_CLIENT_ID]
    assert {"value": DEMO_CLIENT_SECRET, "expired": False} in app["secrets"]
    assert set(DEMO_REDIRECT_URIS) <= set(app["redirect_uris"])
    (user,) = [u for u in seeded["users"] if u["email"] == DEMO_EMAIL]
    assert user["display_name"] == DEMO_DISPLAY_NAME
    assert user["has_mailbox"] is True


def test_seed_refuses_an_unknown_spec(tenant):
    response = tenant.emulator.control("POST", "/seed", json={"spec": "bogus"})

    assert response.status_code == 400
    assert response.json()["error"]


def test_register_list_and_replace_an_app(tenant):
    created = tenant.emulator.control(
        "POST",
        "/apps",
        json={
            "client_id": "app-2",
            "client_secret": "one",
            "redirect_uris": ["http://localhost/cb"],
        },
    )
    replaced = tenant.control(
        "POST",
        "/apps",
        {
            "client_id": "app-2",
            "client_secret": "two",
            "redirect_uris": ["http://localhost/cb2"],
            "display_name": "Second",
        },
    )

    assert created.status_code == 201
    assert replaced["secrets"] == [{"value": "two", "expired": False}]
    apps = {app["client_id"]: app for app in tenant.control("GET", "/apps")["apps"]}
    assert apps["app-2"]["display_name"] == "Second"
    assert apps["app-2"]["redirect_uris"] == ["http://localhost/cb2"]
    assert tenant.client_id in apps


def test_secret_expiry_can_be_set_and_lifted(tenant):
    path = "/apps/%s/secret" % tenant.client_id

    expired = tenant.control("POST", path, {"expired": True})
    lifted = tenant.control("POST", path, {"expired": False})

    assert expired["secrets"] == [{"value": tenant.client_secret, "expired": True}]
    assert lifted["secrets"] == [{"value": tenant.client_secret, "expired": False}]


def test_users_are_created_once_and_listed_without_passwords(tenant):
    first = tenant.emulator.control(
        "POST",
        "/users",
        json={"email": "Grace@Contoso.example", "display_name": "Grace Hopper", "password": "pw"},
    )
    again = tenant.emulator.control(
        "POST", "/users", json={"email": "grace@contoso.example", "display_name": "Grace B. Hopper"}
    )

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    users = {user["email"]: user for user in tenant.control("GET", "/users")["users"]}
    assert users["Grace@Contoso.example"]["display_name"] == "Grace B. Hopper"
    assert all("password" not in user for user in users.values())


def test_settings_round_trip_and_validation(tenant):
    changed = tenant.control(
        "POST",
        "/settings",
        {
            "auto_consent": True,
            "auto_consent_user": tenant.email,
            "access_token_lifetime": 600,
        },
    )
    cleared = tenant.control("POST", "/settings", {"auto_consent_user": None})

    assert changed["auto_consent"] is True
    assert changed["access_token_lifetime"] == 600
    assert cleared["auto_consent_user"] is None
    assert tenant.tokens()["expires_in"] == 600


@pytest.mark.parametrize(
    "body",
    [
        {"auto_consent": "yes"},
        {"access_token_lifetime": 0},
        {"concurrency_limit": True},
        {"colour": "blue"},
    ],
)
def test_bad_settings_are_refused(tenant, body):
    response = tenant.emulator.control("POST", "/settings", json=body)

    assert response.status_code == 400
    assert response.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/apps", {"client_id": "x"}, 400),
        ("POST", "/users", {"email": "not-an-address"}, 400),
        ("POST", "/apps/unknown-app/secret", {"expired": True}, 404),
        ("POST", "/grants/revoke", {"email": "nobody@contoso.example"}, 404),
        ("POST", "/tokens/expire", {"email": "nobody@contoso.example"}, 404),
        ("GET", "/no-such-call", None, 404),
        ("PUT", "/settings", {}, 405),
    ],
)
def test_control_errors(tenant, method, path, body, status):
    response = tenant.emulator.control(method, path, json=body)

    assert response.status_code == status
    assert response.json()["error"]


def test_invalid_json_is_a_400(tenant):
    response = tenant.post(
        tenant.emulator.info["control"] + "/settings",
        data="{nope",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
