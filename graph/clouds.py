"""Where the identity platform and Graph live in each Microsoft cloud."""

from typing import NamedTuple


class CloudEndpoints(NamedTuple):
    """The sign-in host and the Graph v1.0 root of one Microsoft cloud.

    ``message_delta`` is False where Graph offers no message delta query (21Vianet).
    """

    login_url: str
    graph_url: str
    message_delta: bool = True


CLOUDS = {
    "global": CloudEndpoints(
        login_url="https://login.microsoftonline.com",
        graph_url="https://graph.microsoft.com/v1.0",
    ),
    "usgov": CloudEndpoints(
        login_url="https://login.microsoftonline.us",
        graph_url="https://graph.microsoft.us/v1.0",
    ),
    "usdod": CloudEndpoints(
        login_url="https://login.microsoftonline.us",
        graph_url="https://dod-graph.microsoft.us/v1.0",
    ),
    "china": CloudEndpoints(
        login_url="https://login.chinacloudapi.cn",
        graph_url="https://microsoftgraph.chinacloudapi.cn/v1.0",
        message_delta=False,
    ),
}
