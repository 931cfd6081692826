"""The demo tenant's identities: one app registration and one user, as the README lists them.

Tests, the demo and the benchmarks import these instead of repeating the values.
"""

DEMO_CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
DEMO_CLIENT_SECRET = "demo-secret"
DEMO_REDIRECT_URIS = (
    "http://localhost:8069/maildesk/oauth/callback",
    "http://127.0.0.1:8069/maildesk/oauth/callback",
)
DEMO_EMAIL = "demo@maildesk.example"
DEMO_DISPLAY_NAME = "Demo User"
DEMO_PASSWORD = "demo"
