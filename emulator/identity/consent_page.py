"""The HTML pages of the authorize endpoint: sign-in + consent, errors, form_post."""

from html import escape

_STYLE = """
body { margin: 0; background: #f2f2f2; font: 15px/1.45 "Segoe UI", system-ui, sans-serif;
       color: #1b1b1b; }
main { max-width: 440px; margin: 8vh auto; background: #fff; padding: 36px 44px;
       box-shadow: 0 2px 6px rgba(0, 0, 0, .2); }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 8px; }
.brand { font-weight: 600; color: #5e5e5e; margin-bottom: 20px; letter-spacing: .02em; }
.app { font-weight: 600; }
ul { padding-left: 20px; margin: 8px 0 20px; }
li { margin: 4px 0; }
label { display: block; margin: 14px 0 4px; font-size: 13px; color: #5e5e5e; }
input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: 7px 0;
       border: 0; border-bottom: 1px solid #666; font: inherit; outline: none; }
input:focus { border-bottom-color: #0067b8; }
.error { color: #e81123; margin: 12px 0 0; }
.actions { display: flex; justify-content: flex-end; gap: 8px; margin-top: 28px; }
button { min-width: 108px; padding: 6px 12px; font: inherit; border: 1px solid #8a8a8a;
         background: #ccc; cursor: pointer; }
button.primary { background: #0067b8; border-color: #0067b8; color: #fff; }
.fine { font-size: 12px; color: #5e5e5e; margin-top: 22px; }
code { font-size: 13px; word-break: break-all; }
"""


def _page(title, body):
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>%s</title><style>%s</style></head><body><main>"
        '<div class="brand">Microsoft (emulated)</div>%s</main></body></html>\n'
        % (escape(title), _STYLE, body)
    )


def consent_page(action, hidden_fields, app_name, permissions, email="", error=None):
    """Sign in as a user and accept (or cancel) the app's requested permissions.

    ``hidden_fields`` carries the original authorize parameters through the POST;
    ``permissions`` is a list of ``(scope, description)``.
    """
    hidden = "".join(
        '<input type="hidden" name="%s" value="%s">' % (escape(name), escape(value))
        for name, value in hidden_fields.items()
    )
    items = "".join(
        "<li>%s <small>(%s)</small></li>" % (escape(description), escape(scope))
        for scope, description in permissions
    )
    message = '<p class="error" role="alert">%s</p>' % escape(error) if error else ""
    body = (
        "<h1>Permissions requested</h1>"
        '<p><span class="app">%(app)s</span> would like to:</p><ul>%(items)s</ul>'
        '<form method="post" action="%(action)s">%(hidden)s'
        '<label for="login">Email</label>'
        '<input id="login" name="login" type="email" value="%(email)s" required '
        'autocomplete="username" %(email_focus)s>'
        '<label for="passwd">Password</label>'
        '<input id="passwd" name="passwd" type="password" required '
        'autocomplete="current-password" %(password_focus)s>'
        "%(message)s"
        '<div class="actions">'
        '<button type="submit" name="consent_action" value="cancel" formnovalidate>'
        "Cancel</button>"
        '<button type="submit" name="consent_action" value="accept" class="primary">'
        "Accept</button></div></form>"
        '<p class="fine">Accepting lets this app use the permissions above. '
        "You can remove them at any time.</p>"
    ) % {
        "app": escape(app_name),
        "items": items,
        "action": escape(action),
        "hidden": hidden,
        "email": escape(email or ""),
        "email_focus": "" if email else "autofocus",
        "password_focus": "autofocus" if email else "",
        "message": message,
    }
    return _page("Sign in to your account", body)


def error_page(code, message, trace_id, correlation_id, timestamp):
    """The page Entra ID shows when it cannot trust the request enough to redirect."""
    body = (
        "<h1>Sorry, but we're having trouble signing you in.</h1>"
        '<p class="error">AADSTS%d: %s</p>'
        '<p class="fine">Trace ID: <code>%s</code><br>Correlation ID: <code>%s</code><br>'
        "Timestamp: <code>%s</code></p>"
    ) % (code, escape(message), escape(trace_id), escape(correlation_id), escape(timestamp))
    return _page("Sign in to your account", body)


def form_post_page(redirect_uri, params):
    """``response_mode=form_post``: a page that posts the result to the redirect URI."""
    fields = "".join(
        '<input type="hidden" name="%s" value="%s">' % (escape(name), escape(value))
        for name, value in params.items()
    )
    body = (
        '<form method="post" name="hiddenform" action="%s">%s'
        "<noscript><p>Script is disabled. Click Submit to continue.</p>"
        '<button type="submit">Submit</button></noscript></form>'
        "<script>document.forms.hiddenform.submit();</script>"
    ) % (escape(redirect_uri), fields)
    return _page("Working...", body)
