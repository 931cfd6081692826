"""Chaos mode: Outlook's random throttling, outages, resets and slow answers, replayable
from a seed, counted in the request log, and never on unless asked for."""

import collections

import pytest
import requests

from emulator.server.chaos import Chaos
from emulator.server.chaos_faults import draw_fault
from emulator.testing import EmulatorProcess, EmulatorStartError

RUN_LENGTH = 30
GRAPH_ERROR_CODES = {429: "TooManyRequests", 503: "ServiceUnavailable", 504: "GatewayTimeout"}
CHAOS_KINDS = {"429", "503", "504", "reset", "latency"}


def _session(tenant, token=None):
    session = requests.Session()
    session.trust_env = False
    session.verify = tenant.ca_file
    if token:
        session.headers["Authorization"] = "Bearer " + token
    return session


def _chaos_run(tenant, url, seed, token=None, count=RUN_LENGTH):
    """Send ``count`` GETs with chaos on at level 1: what the client saw and the log.

    Each answer is ``(status, Retry-After, error code)``; a dropped connection is "reset".
    """
    tenant.control("DELETE", "/requests")
    tenant.control("POST", "/settings", {"chaos": {"seed": seed, "level": 1}})
    seen = []
    try:
        with _session(tenant, token) as session:
            for _ in range(count):
                try:
                    answer = session.get(url, timeout=30)
                except requests.ConnectionError:
                    seen.append("reset")
                    continue
                error = answer.json().get("error") if answer.status_code >= 400 else None
                # Graph's error is an object with a code, the identity platform's a string.
                error = error.get("code") if isinstance(error, dict) else error
                seen.append((answer.status_code, answer.headers.get("Retry-After"), error))
        return seen, tenant.control("GET", "/requests")
    finally:
        tenant.control("POST", "/settings", {"chaos": None})


@pytest.fixture
def token(tenant):
    """An access token, fetched before chaos is on (the token endpoint is not spared)."""
    return tenant.tokens()["access_token"]


def test_chaos_is_off_until_a_setting_turns_it_on(tenant):
    assert tenant.control("GET", "/settings")["chaos"] is None

    on = tenant.control("POST", "/settings", {"chaos": {"seed": 42, "level": 0.3}})
    shown = tenant.control("GET", "/settings")["chaos"]
    level_zero = tenant.control("POST", "/settings", {"chaos": {"seed": 42, "level": 0}})
    tenant.control("POST", "/settings", {"chaos": {"seed": 42}})
    default_level = tenant.control("GET", "/settings")["chaos"]
    off = tenant.control("POST", "/settings", {"chaos": None})

    assert on["chaos"] == shown == {"seed": 42, "level": 0.3}
    assert level_zero["chaos"] is None
    assert default_level == {"seed": 42, "level": 0.5}
    assert off["chaos"] is None


@pytest.mark.parametrize(
    "chaos",
    [
        {"seed": "7"},
        {"seed": True},
        {"seed": 1.5},
        {"level": 0.5},
        {"seed": 7, "level": 1.5},
        {"seed": 7, "level": -0.1},
        {"seed": 7, "level": "high"},
        {"seed": 7, "level": True},
        {"seed": 7, "odds": 1},
        7,
        "on",
    ],
)
def test_bad_chaos_settings_are_refused_and_change_nothing(tenant, chaos):
    response = tenant.emulator.control(
        "POST", "/settings", json={"chaos": chaos, "access_token_lifetime": 77}
    )

    assert response.status_code == 400 and "chaos" in response.json()["error"]
    settings = tenant.control("GET", "/settings")
    assert settings["chaos"] is None and settings["access_token_lifetime"] != 77


def test_one_seed_replays_the_same_faults_and_another_seed_does_not(tenant, token):
    url = tenant.graph + "/me"
    first, first_log = _chaos_run(tenant, url, seed=1, token=token)
    again, again_log = _chaos_run(tenant, url, seed=1, token=token)
    other, _other_log = _chaos_run(tenant, url, seed=2, token=token)

    def faults(log):
        return [entry["fault"] for entry in log["recent"]]

    assert first == again
    assert faults(first_log) == faults(again_log)
    assert other != first
    assert sum(answer != "reset" and answer[0] != 200 for answer in first) >= 3


def test_graph_gets_throttling_outages_resets_and_latency_as_graph_sends_them(tenant, token):
    seen, log = _chaos_run(tenant, tenant.graph + "/me", seed=1, token=token, count=80)

    recent = log["recent"]
    assert len(recent) == len(seen) == 80
    kinds = [entry["fault"].removeprefix("chaos:") if entry["fault"] else None for entry in recent]
    assert all(entry["fault"] is None or entry["fault"].startswith("chaos:") for entry in recent)
    assert log["chaos"] == dict(collections.Counter(kind for kind in kinds if kind))
    assert set(log["chaos"]) <= CHAOS_KINDS and len(log["chaos"]) >= 4
    failed_with_retry_after = set()
    for answer, entry, kind in zip(seen, recent, kinds, strict=True):
        if kind == "reset":
            assert answer == "reset" and entry["status"] == "reset"
            continue
        status, retry_after, error = answer
        assert entry["status"] == status
        if kind in ("429", "503", "504"):
            assert status == int(kind) and error == GRAPH_ERROR_CODES[status]
            assert retry_after in (None, "1", "2", "3")
            failed_with_retry_after.add(retry_after is not None)
        else:
            assert status == 200
        if kind == "latency":
            assert entry["duration_ms"] >= 50
    # Some throttled answers say when to come back, some leave it to the client.
    assert failed_with_retry_after == {True, False}


def test_identity_endpoints_have_outages_with_oauth_errors(tenant):
    url = tenant.login + "/common/v2.0/.well-known/openid-configuration"
    seen, log = _chaos_run(tenant, url, seed=3, count=60)

    failures = [answer for answer in seen if answer != "reset" and answer[0] != 200]
    assert failures and log["chaos"]
    for status, retry_after, error in failures:
        assert status in (503, 504) and error == "temporarily_unavailable"
        # Always sent: msal would cache an answer without it for 5 s.
        assert retry_after in ("1", "2", "3")
    assert all(entry["endpoint"].endswith("openid-configuration") for entry in log["recent"])


def test_control_calls_never_see_chaos(tenant):
    tenant.control("POST", "/settings", {"chaos": {"seed": 5, "level": 1}})
    try:
        statuses = [tenant.emulator.control("GET", "/settings").status_code for _ in range(60)]
        log = tenant.control("GET", "/requests")
    finally:
        tenant.control("POST", "/settings", {"chaos": None})

    assert statuses == [200] * 60
    assert log["chaos"] == {} and log["total"] == 0


def test_the_token_endpoint_fails_more_rarely_and_authorize_never():
    chaos = Chaos()
    chaos.configure(seed=9, level=1)
    hits = {
        endpoint: sum(draw_fault(chaos, endpoint) is not None for _ in range(4000))
        for endpoint in ("graph", "identity", "token", "authorize")
    }

    assert hits["graph"] > hits["identity"] > hits["token"] > 0
    assert hits["authorize"] == 0


def test_chaos_from_the_command_line_survives_a_reset():
    with EmulatorProcess(extra_args=("--chaos", "5", "--chaos-level", "0.25")) as process:
        started = process.control("GET", "/settings").json()["chaos"]
        assert process.control("POST", "/reset").status_code == 200
        after_reset = process.control("GET", "/settings").json()["chaos"]
    with EmulatorProcess(extra_args=("--chaos", "9")) as process:
        default_level = process.control("GET", "/settings").json()["chaos"]

    assert started == after_reset == {"seed": 5, "level": 0.25}
    assert default_level == {"seed": 9, "level": 0.5}


@pytest.mark.parametrize(
    "arguments",
    [
        ("--chaos", "5", "--chaos-level", "1.5"),
        (
            "--chaos-level",
            "0.5",
        ),
    ],
)
def test_a_bad_chaos_command_line_stops_the_start(arguments):
    with pytest.raises(EmulatorStartError, match="chaos"):
        EmulatorProcess(extra_args=arguments).start()
