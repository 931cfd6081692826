"""The authorize endpoint: consent page, auto-consent and every refusal."""

import jwt

from emulator.seeds.identities import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_DISPLAY_NAME,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)


def test_consent_page_shows_app_permissions_and_login_hint(tenant):
    page, _ = tenant.authorize(login_hint=tenant.email)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "MailDesk Test" in page.text
    assert "Send mail as you" in page.text
    assert "Read and write access to your mail" in page.text
    form = tenant.read_form(page.text)
    assert form.fields["login"] == tenant.email
    assert form.fields["client_id"] == tenant.client_id
    assert set(form.buttons) == {"accept", "cancel"}


def test_accept_with_right_password_redirects_with_code_and_state(tenant):
    page, params = tenant.authorize()

    answer = tenant.submit_consent(page)

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(tenant.redirect_uri + "?")
    result = tenant.query_of(location)
    assert result["state"] == params["state"]
    assert result["code"]
    assert result["session_state"]
    assert tenant.redeem(result["code"], params).status_code == 200


def test_wrong_password_shows_the_page_again_with_a_message(tenant):
    page, _ = tenant.authorize()

    answer = tenant.submit_consent(page, password="wrong")

    assert answer.status_code == 200
    assert "Your account or password is incorrect" in answer.text
    assert tenant.read_form(answer.text).fields["login"] == tenant.email


def test_unknown_account_is_told_on_the_page(tenant):
    page, _ = tenant.authorize()

    answer = tenant.submit_consent(page, email="nobody@contoso.example")

    assert answer.status_code == 200
    assert "This username may be incorrect" in answer.text


def test_cancel_redirects_with_access_denied(tenant):
    page, params = tenant.authorize()

    answer = tenant.submit_consent(page, action="cancel", password="")

    assert answer.status_code == 302
    result = tenant.query_of(answer.headers["Location"])
    assert result["error"] == "access_denied"
    assert result["error_description"].startswith(
        "AADSTS65004: User declined to consent to access the app."
    )
    assert result["state"] == params["state"]
    assert "code" not in result


def test_auto_consent_redirects_at_once_as_the_configured_user(tenant):
    tenant.control("POST", "/users", {"email": "grace@contoso.example", "display_name": "Grace"})
    tenant.control(
        "POST", "/settings", {"auto_consent": True, "auto_consent_user": "grace@contoso.example"}
    )
    response, params = tenant.authorize(login_hint=tenant.email)

    assert response.status_code == 302
    result = tenant.query_of(response.headers["Location"])
    assert result["state"] == params["state"]
    token = tenant.redeem(result["code"], params).json()
    assert "grace@contoso.example" in _claims(token["id_token"])["preferred_username"]


def test_auto_consent_without_a_user_signs_in_the_login_hint(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True})

    response, params = tenant.authorize(login_hint=tenant.email.upper())

    assert response.status_code == 302
    token = tenant.redeem(tenant.query_of(response.headers["Location"])["code"], params).json()
    assert _claims(token["id_token"])["preferred_username"] == tenant.email


def test_auto_consent_with_no_known_user_falls_back_to_the_page(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True})

    page, _ = tenant.authorize()

    assert page.status_code == 200
    assert "<form" in page.text


def test_unknown_app_gets_an_error_page_not_a_redirect(tenant):
    response, _ = tenant.authorize(client_id="00000000-0000-0000-0000-000000000000")

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "AADSTS700016" in response.text


def test_redirect_uri_mismatch_gets_an_error_page(tenant):
    response, _ = tenant.authorize(redirect_uri="http://evil.example/callback")

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "AADSTS50011" in response.text
    assert "evil.example" in response.text


def test_missing_pkce_redirects_with_invalid_request(tenant):
    response, params = tenant.authorize(code_challenge=None, code_challenge_method=None)

    assert response.status_code == 302
    result = tenant.query_of(response.headers["Location"])
    assert result["error"] == "invalid_request"
    assert "code_challenge" in result["error_description"]
    assert result["state"] == params["state"]


def test_plain_pkce_is_refused(tenant):
    response, _ = tenant.authorize(code_challenge="x" * 43, code_challenge_method="plain")

    result = tenant.query_of(response.headers["Location"])
    assert result["error"] == "invalid_request"
    assert "S256" in result["error_description"]


def test_other_response_types_are_refused(tenant):
    response, _ = tenant.authorize(response_type="token")

    assert tenant.query_of(response.headers["Location"])["error"] == "unsupported_response_type"


def test_prompt_none_without_a_session_needs_login(tenant):
    response, _ = tenant.authorize(prompt="none")

    result = tenant.query_of(response.headers["Location"])
    assert result["error"] == "login_required"
    assert result["error_description"].startswith("AADSTS50058")


def test_form_post_answers_a_self_submitting_form(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": tenant.email})

    response, params = tenant.authorize(response_mode="form_post")

    assert response.status_code == 200
    form = tenant.read_form(response.text)
    assert form.action == tenant.redirect_uri
    assert form.fields["state"] == params["state"]
    assert tenant.redeem(form.fields["code"], params).status_code == 200


def test_fragment_mode_puts_the_code_in_the_fragment(tenant):
    tenant.control("POST", "/settings", {"auto_consent": True, "auto_consent_user": tenant.email})

    response, _ = tenant.authorize(response_mode="fragment")

    location = response.headers["Location"]
    assert "?" not in location and "#code=" in location


def _claims(id_token):
    return jwt.decode(id_token, options={"verify_signature": False})


def test_the_demo_seed_user_signs_in_on_the_page(tenant):
    tenant.control("POST", "/seed", {"spec": "demo"})
    tenant.client_id = DEMO_CLIENT_ID
    tenant.client_secret = DEMO_CLIENT_SECRET
    tenant.email, tenant.password = DEMO_EMAIL, DEMO_PASSWORD
    page, params = tenant.authorize(login_hint=DEMO_EMAIL)
    assert "Permissions requested" in page.text

    answer = tenant.submit_consent(page)

    code = tenant.query_of(answer.headers["Location"])["code"]
    token = tenant.redeem(code, params).json()
    assert _claims(token["id_token"])["name"] == DEMO_DISPLAY_NAME
