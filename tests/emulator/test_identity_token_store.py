"""The token store's rules that need a clock or a race to show (no server needed)."""

import threading

from emulator.identity.tokens import CODE_LIFETIME, TokenStore, pkce_s256

VERIFIER = "v" * 50


def _code(store):
    return store.issue_code(
        client_id="app",
        user_email="ada@contoso.example",
        redirect_uri="http://localhost/cb",
        scopes=["Mail.Read"],
        code_challenge=pkce_s256(VERIFIER),
        nonce=None,
    )


def _race(attempt, workers=8):
    """Run ``attempt`` in ``workers`` threads released at once; their results."""
    outcomes = []
    start = threading.Barrier(workers)

    def run():
        start.wait()
        outcomes.append(attempt())

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_code_expires_after_about_ten_minutes():
    store = TokenStore()
    code = _code(store)
    later = code.issued_at + CODE_LIFETIME + 1

    _, problem = store.redeem_code(code.value, "app", "http://localhost/cb", VERIFIER, now=later)

    assert CODE_LIFETIME == 600
    assert problem == "expired"


def test_a_failed_redemption_does_not_use_the_code_up():
    store = TokenStore()
    code = _code(store)

    _, wrong = store.redeem_code(code.value, "app", "http://localhost/cb", "w" * 50)
    _, right = store.redeem_code(code.value, "app", "http://localhost/cb", VERIFIER)

    assert (wrong, right) == ("pkce", None)


def test_parallel_redemptions_of_one_code_succeed_once():
    store = TokenStore()
    code = _code(store)

    outcomes = _race(
        lambda: store.redeem_code(code.value, "app", "http://localhost/cb", VERIFIER)[1]
    )

    assert sorted(outcomes, key=str) == [None] + ["redeemed"] * 7


def test_parallel_refreshes_of_one_token_succeed_once():
    store = TokenStore()
    token = store.issue_refresh_token("app", "ada@contoso.example", ["Mail.Read"])

    outcomes = _race(lambda: store.redeem_refresh_token(token.value, "app")[1])

    assert sorted(outcomes, key=str) == [None] + ["redeemed"] * 7


def test_pkce_s256_matches_rfc_7636_example():
    assert (
        pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
