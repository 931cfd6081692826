"""OpenID Connect discovery and the signing keys, checked the way clients use them."""

import jwt
import pytest

TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"


@pytest.mark.parametrize(
    "tenant_name", ["common", "organizations", "consumers", TENANT_ID, "contoso.onmicrosoft.com"]
)
def test_openid_configuration_for_any_tenant(tenant, tenant_name):
    response = tenant.get(
        "%s/%s/v2.0/.well-known/openid-configuration" % (tenant.login, tenant_name)
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    config = response.json()
    prefix = "%s/%s/" % (tenant.login, tenant_name)
    assert config["authorization_endpoint"] == prefix + "oauth2/v2.0/authorize"
    assert config["token_endpoint"] == prefix + "oauth2/v2.0/token"
    assert config["jwks_uri"] == prefix + "discovery/v2.0/keys"
    assert config["authorization_endpoint"].startswith("https://")
    assert "code" in config["response_types_supported"]
    assert {"query", "form_post"} <= set(config["response_modes_supported"])
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"openid", "offline_access"} <= set(config["scopes_supported"])
    expected_issuer_tenant = (
        "{tenantid}" if tenant_name in ("common", "organizations") else TENANT_ID
    )
    assert config["issuer"] == "%s/%s/v2.0" % (tenant.login, expected_issuer_tenant)


def test_localhost_origin_is_served_with_a_valid_certificate(tenant):
    localhost = tenant.login.replace("127.0.0.1", "localhost")

    config = tenant.get(localhost + "/common/v2.0/.well-known/openid-configuration").json()

    assert config["token_endpoint"].startswith(localhost + "/common/")


def test_keys_verify_an_issued_id_token(tenant):
    answer = tenant.tokens()
    keys = tenant.get(tenant.login + "/common/discovery/v2.0/keys").json()["keys"]
    header = jwt.get_unverified_header(answer["id_token"])
    (jwk,) = [key for key in keys if key["kid"] == header["kid"]]
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["x5c"]

    claims = jwt.decode(
        answer["id_token"],
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience=tenant.client_id,
        issuer="%s/%s/v2.0" % (tenant.login, TENANT_ID),
    )

    assert claims["preferred_username"] == tenant.email
    assert claims["tid"] == TENANT_ID
    assert claims["ver"] == "2.0"


def test_signing_key_survives_a_reset(tenant):
    before = tenant.get(tenant.login + "/common/discovery/v2.0/keys").json()

    tenant.control("POST", "/reset")

    assert tenant.get(tenant.login + "/common/discovery/v2.0/keys").json() == before


def test_unknown_paths_answer_404_json(tenant):
    response = tenant.get(tenant.login + "/common/oauth2/v2.0/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"
