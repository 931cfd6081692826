"""The token endpoint: code redemption, client authentication and the error envelope."""

import base64
import json
import re

import jwt
import pytest

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


def _error(response, status, error, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith("AADSTS%d: " % code)
    return body


def test_msal_signs_in_with_the_authorization_code_flow(tenant):
    app = tenant.msal_app()

    result = tenant.msal_sign_in(app)

    assert "error" not in result, result
    assert result["token_type"] == "Bearer"
    assert set(result["scope"].split()) >= {
        "Mail.ReadWrite",
        "Mail.Send",
        "User.Read",
        "openid",
        "profile",
        "offline_access",
    }
    assert result["refresh_token"]
    assert result["id_token_claims"]["preferred_username"] == tenant.email
    (account,) = app.get_accounts()
    assert account["username"] == tenant.email
    assert account["home_account_id"] == "%s.%s" % (result["id_token_claims"]["oid"], TENANT_ID)


def test_success_answer_has_the_documented_shape(tenant):
    code, params = tenant.code_by_auto_consent(
        scope="https://graph.microsoft.com/Mail.ReadWrite https://graph.microsoft.com/Mail.Send "
        "User.Read openid profile email offline_access"
    )

    response = tenant.redeem(code, params)

    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("no-store")
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "Mail.ReadWrite Mail.Send User.Read openid profile email offline_access"
    assert body["expires_in"] == 3599 and body["ext_expires_in"] == 3599
    assert body["access_token"] and body["refresh_token"]
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=="))
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert info == {"uid": claims["oid"], "utid": TENANT_ID}
    assert claims["aud"] == tenant.client_id
    assert claims["iss"] == "%s/%s/v2.0" % (tenant.login, TENANT_ID)
    assert claims["nonce"] == params["nonce"]
    assert claims["email"] == tenant.email
    assert claims["name"] == "Ada Lovelace"
    assert claims["tid"] == TENANT_ID and claims["ver"] == "2.0"
    assert claims["nbf"] <= claims["iat"] < claims["exp"]
    assert claims["sub"]


def test_no_refresh_token_without_offline_access(tenant):
    answer = tenant.tokens(scope="openid Mail.ReadWrite")

    assert "refresh_token" not in answer
    assert answer["scope"] == "Mail.ReadWrite openid"


def test_error_envelope_carries_trace_lines_and_echoes_correlation_id(tenant):
    response = tenant.token_request(
        {
            "client_id": tenant.client_id,
            "client_secret": "nope",
            "grant_type": "refresh_token",
            "refresh_token": "x",
        },
        headers={"client-request-id": "4f1c1b38-7d55-4c5e-9a7e-cf3b9a0d9e11"},
    )

    body = _error(response, 401, "invalid_client", 7000215)
    assert body["correlation_id"] == "4f1c1b38-7d55-4c5e-9a7e-cf3b9a0d9e11"
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", body["timestamp"])
    lines = body["error_description"].split("\r\n")
    assert lines[1] == "Trace ID: " + body["trace_id"]
    assert lines[2] == "Correlation ID: " + body["correlation_id"]
    assert lines[3] == "Timestamp: " + body["timestamp"]


def test_code_is_single_use(tenant):
    code, params = tenant.code_by_auto_consent()
    assert tenant.redeem(code, params).status_code == 200

    _error(tenant.redeem(code, params), 400, "invalid_grant", 54005)


def test_pkce_verifier_mismatch(tenant):
    code, params = tenant.code_by_auto_consent()

    _error(tenant.redeem(code, params, code_verifier="x" * 50), 400, "invalid_grant", 501481)
    _error(tenant.redeem(code, params, code_verifier=None), 400, "invalid_grant", 501481)


def test_redirect_uri_must_match_the_authorize_request(tenant):
    code, params = tenant.code_by_auto_consent()

    body = _error(
        tenant.redeem(code, params, redirect_uri="http://127.0.0.1:8069/other"),
        400,
        "invalid_grant",
        50011,
    )
    assert "redirect URI" in body["error_description"]


def test_unknown_code(tenant):
    _, params = tenant.code_by_auto_consent()

    _error(tenant.redeem("0.bogus", params), 400, "invalid_grant", 70000)


def test_unknown_app_is_an_unauthorized_client_400(tenant):
    code, params = tenant.code_by_auto_consent()

    _error(
        tenant.redeem(code, params, client_id="00000000-0000-0000-0000-000000000000"),
        400,
        "unauthorized_client",
        700016,
    )


def test_missing_secret(tenant):
    code, params = tenant.code_by_auto_consent()

    _error(tenant.redeem(code, params, client_secret=None), 401, "invalid_client", 7000218)


def test_expired_secret(tenant):
    code, params = tenant.code_by_auto_consent()
    tenant.control("POST", "/apps/%s/secret" % tenant.client_id, {"expired": True})

    _error(tenant.redeem(code, params), 401, "invalid_client", 7000222)


def test_rotated_secret_replaces_the_old_one(tenant):
    code, params = tenant.code_by_auto_consent()
    tenant.control("POST", "/apps/%s/secret" % tenant.client_id, {"client_secret": "new-one"})

    _error(tenant.redeem(code, params), 401, "invalid_client", 7000215)
    assert tenant.redeem(code, params, client_secret="new-one").status_code == 200


def test_client_secret_basic_authentication(tenant):
    code, params = tenant.code_by_auto_consent()
    basic = base64.b64encode(("%s:%s" % (tenant.client_id, tenant.client_secret)).encode())

    response = tenant.token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": tenant.verifier,
        },
        headers={"Authorization": "Basic " + basic.decode()},
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        ({"grant_type": "authorization_code"}, "invalid_request", 900144),
        ({"client_id": "CLIENT", "client_secret": "SECRET"}, "invalid_request", 900144),
        (
            {"client_id": "CLIENT", "client_secret": "SECRET", "grant_type": "password"},
            "unsupported_grant_type",
            70003,
        ),
        (
            {"client_id": "CLIENT", "client_secret": "SECRET", "grant_type": "refresh_token"},
            "invalid_request",
            900144,
        ),
    ],
)
def test_malformed_token_requests(tenant, data, error, code):
    data = {
        name: value.replace("CLIENT", tenant.client_id).replace("SECRET", tenant.client_secret)
        for name, value in data.items()
    }

    _error(tenant.token_request(data), 400, error, code)


def test_token_endpoint_refuses_get(tenant):
    _error(tenant.get(tenant.login + "/common/oauth2/v2.0/token"), 400, "invalid_request", 900561)


def _client_info(text):
    return json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


def test_client_info_only_when_the_request_asks_for_it(tenant):
    code, params = tenant.code_by_auto_consent()
    (user,) = tenant.control("GET", "/users")["users"]

    plain = tenant.redeem(code, params, client_info=None).json()
    refreshed = tenant.refresh(plain["refresh_token"], client_info="1").json()

    assert "client_info" not in plain
    assert _client_info(refreshed["client_info"]) == {"uid": user["id"], "utid": TENANT_ID}


def test_authorize_redirect_carries_client_info_when_asked(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": tenant.email})
    (user,) = tenant.control("GET", "/users")["users"]

    asked, _ = tenant.authorize(client_info="1")
    not_asked, _ = tenant.authorize()

    result = tenant.query_of(asked.headers["Location"])
    assert _client_info(result["client_info"]) == {"uid": user["id"], "utid": TENANT_ID}
    assert "client_info" not in tenant.query_of(not_asked.headers["Location"])
