"""How answers Microsoft sends map to MailDesk's error types (cases the emulator never
sends: HTTP-date Retry-After, lower-case ``innererror``, other AADSTS codes)."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from graph import (
    AuthorizationDenied,
    ClientConfigurationError,
    GraphError,
    NotFound,
    PermissionDenied,
    ReauthorizationRequired,
    SyncStateExpired,
    Throttled,
    TransientError,
)
from graph.auth_errors import error_for_authorize_answer, error_for_token_answer
from graph.errors import error_for_response
from graph.http import parse_retry_after


def test_retry_after_in_seconds_and_as_http_date():
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7
    assert (
        parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    )
    assert (
        parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    # Floats in form only: no wait can be honoured for these.
    assert parse_retry_after("inf") is None
    assert parse_retry_after("nan") is None


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (410, b'{"error":{"code":"SyncStateNotFound","message":"gone"}}', SyncStateExpired),
        (400, b'{"error":{"code":"syncStateNotFound","message":"gone"}}', SyncStateExpired),
        (400, b'{"error":{"code":"ResyncRequired","message":"again"}}', SyncStateExpired),
        (400, b'{"error":{"code":"resyncRequired","message":"again"}}', SyncStateExpired),
        (400, b'{"error":{"code":"SYNCSTATENOTFOUND","message":"gone"}}', SyncStateExpired),
        # The specific reason nested in an inner error, under either spelling of the key.
        (
            400,
            b'{"error":{"code":"ErrorInvalidRequest","message":"m",'
            b'"innerError":{"code":"syncStateNotFound"}}}',
            SyncStateExpired,
        ),
        (
            400,
            b'{"error":{"code":"BadRequest","message":"m",'
            b'"innererror":{"code":"x","innererror":{"code":"ResyncRequired"}}}}',
            SyncStateExpired,
        ),
        # A sync reset: 410 with a Location and possibly no body at all.
        (410, b"", SyncStateExpired),
        (403, b'{"error":{"code":"ErrorAccessDenied","message":"no"}}', PermissionDenied),
        (404, b'{"error":{"code":"ErrorItemNotFound","message":"no"}}', NotFound),
        (429, b'{"error":{"code":"ApplicationThrottled","message":"slow"}}', Throttled),
        (500, b"<html>oops</html>", TransientError),
        (400, b'{"error":{"code":"ErrorInvalidRequest","message":"bad"}}', GraphError),
    ],
)
def test_graph_answers_map_to_types(status, body, expected):
    error = error_for_response(status, body, {})
    assert type(error) is expected
    assert error.status == status


def test_request_id_is_read_from_lower_case_innererror():
    body = b'{"error":{"code":"X","message":"m","innererror":{"request-id":"abc"}}}'
    assert error_for_response(400, body, {}).request_id == "abc"
    assert error_for_response(400, b"", {"request-id": "hdr"}).request_id == "hdr"
    nested = b'{"error":{"code":"X","message":"m","innerError":{"innerError":{"request-id":"n"}}}}'
    assert error_for_response(400, nested, {}).request_id == "n"


@pytest.mark.parametrize(
    ("answer", "expected", "aadsts"),
    [
        (
            {"error": "invalid_grant", "error_description": "AADSTS700082: expired"},
            ReauthorizationRequired,
            700082,
        ),
        (
            {"error": "invalid_grant", "error_codes": [65001], "suberror": "consent_required"},
            ReauthorizationRequired,
            65001,
        ),
        ({"error": "invalid_client", "error_codes": [7000218]}, ClientConfigurationError, 7000218),
        (
            {"error": "unauthorized_client", "error_codes": [700016]},
            ClientConfigurationError,
            700016,
        ),
        (
            {"error": "invalid_request", "error_description": "AADSTS50011: redirect"},
            ClientConfigurationError,
            50011,
        ),
    ],
)
def test_token_answers_map_to_types(answer, expected, aadsts):
    error = error_for_token_answer(answer)
    assert type(error) is expected
    assert error.aadsts == aadsts


def test_unexpected_token_answers_are_transient():
    assert type(error_for_token_answer({"error": {"code": "TooManyRequests"}})) is (TransientError)
    assert type(error_for_token_answer({"error": "temporarily_unavailable"})) is TransientError


def test_authorize_redirect_errors():
    denied = error_for_authorize_answer(
        {"error": "consent_required", "error_description": "AADSTS65001: consent\r\nTrace"}
    )
    assert type(denied) is AuthorizationDenied and denied.message == "AADSTS65001: consent"
    misconfigured = error_for_authorize_answer(
        {"error": "invalid_request", "error_description": "AADSTS50011: The redirect URI"}
    )
    assert type(misconfigured) is ClientConfigurationError
