"""Microsoft's clouds, and links that must never take a mailbox's token elsewhere."""

from urllib.parse import urlsplit

import pytest

from emulator.seeds.identities import DEMO_EMAIL as DEMO_USER
from graph import CLOUDS, CloudEndpoints, GraphClient, GraphError, OAuthApp, TokenProvider

DELTA_PATH = "/me/mailFolders/AAMkAGI2/messages/delta?$skiptoken=abc"


@pytest.mark.parametrize(
    ("cloud", "login_host", "graph_host", "message_delta"),
    [
        ("global", "login.microsoftonline.com", "graph.microsoft.com", True),
        ("usgov", "login.microsoftonline.us", "graph.microsoft.us", True),
        ("usdod", "login.microsoftonline.us", "dod-graph.microsoft.us", True),
        ("china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn", False),
    ],
)
def test_cloud_endpoints(cloud, login_host, graph_host, message_delta):
    endpoints = CLOUDS[cloud]
    assert urlsplit(endpoints.login_url)[:2] == ("https", login_host)
    assert urlsplit(endpoints.graph_url)[:3] == ("https", graph_host, "/v1.0")
    assert endpoints.message_delta is message_delta


def test_a_custom_cloud_works_end_to_end(mailbox, emulator, complete_sign_in, sleeps):
    # Both hosts come from configuration: nothing assumes the global cloud.
    cloud = CloudEndpoints(login_url=emulator.login, graph_url=emulator.graph)
    app = OAuthApp(
        mailbox.client_id,
        mailbox.client_secret,
        login_url=cloud.login_url,
        ca_bundle=emulator.ca_file,
        timeout=10,
    )
    result = complete_sign_in(app)
    client = GraphClient(
        TokenProvider(app, result.token_cache),
        graph_url=cloud.graph_url,
        ca_bundle=emulator.ca_file,
        sleep=sleeps,
    )
    assert client.me()["userPrincipalName"].lower() == DEMO_USER
    client.close()
    app.close()


@pytest.mark.parametrize("cloud", ["usgov", "usdod", "china"])
def test_links_from_another_cloud_are_refused_before_sending(cloud):
    calls = []
    client = GraphClient(
        lambda force_refresh=False: calls.append(force_refresh) or "token",
        graph_url=CLOUDS[cloud].graph_url,
    )
    with pytest.raises(GraphError) as caught:
        next(client.delta_pages("inbox", cursor=CLOUDS["global"].graph_url + DELTA_PATH))
    assert caught.value.code == "foreignLink"
    assert calls == []  # not even a token was asked for
    client.close()


def test_links_that_only_look_like_the_graph_host_are_refused(mailbox, emulator, client):
    origin = urlsplit(emulator.graph)
    host, port = origin.hostname, origin.port
    lookalikes = [
        "https://%s:%d@evil.example/v1.0%s" % (host, port, DELTA_PATH),  # user-info trick
        "https://%s:%d.evil.example/v1.0%s" % (host, port, DELTA_PATH),
        "https://%s:%d/v1.0%s" % (host, port + 1, DELTA_PATH),
        "http://%s:%d/v1.0%s" % (host, port, DELTA_PATH),  # downgrade to plain http
    ]
    mailbox.clear_log()
    for link in lookalikes:
        with pytest.raises(GraphError) as caught:
            next(client.delta_pages("inbox", cursor=link))
        assert caught.value.code == "foreignLink", link
    assert mailbox.requests_log()["total"] == 0
    # The same host spelled in capitals is the same host.
    upper = "HTTPS://%s:%d/v1.0/me" % (host.upper(), port)
    assert client.batch([{"method": "GET", "url": upper}])[0]["status"] == 200
