"""What every control call shares: its error, its JSON body and the route table walk."""

import json
import re

from ..server.http_util import json_response


class ControlError(Exception):
    """A control call that cannot be carried out, with the status to answer."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def found(value, what):
    """``value``, or a 404 control error naming ``what`` (e.g. "no folder X")."""
    if value is None:
        raise ControlError("no %s" % what, status=404)
    return value


def request_json(request):
    """The JSON object a control call sent (``{}`` for an empty body)."""
    data = request.get_data()
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except ValueError as error:
        raise ControlError("the body is not valid JSON: %s" % error) from error
    if not isinstance(body, dict):
        raise ControlError("the body must be a JSON object")
    return body


def compile_routes(routes):
    """``(method, regex, handler)`` rows from ``(method, pattern, handler)`` ones; a
    trailing slash is allowed."""
    return [
        (method, re.compile("^" + pattern + "/?$"), handler) for method, pattern, handler in routes
    ]


def answer(routes, request, path, state):
    """Run the handler ``routes`` (from ``compile_routes``) give for this call; 405 when
    only the method is wrong, 404 when nothing matches. ``path`` follows ``/_emulator``."""
    path_known = False
    for method, pattern, handler in routes:
        match = pattern.match(path)
        if match is None:
            continue
        path_known = True
        if request.method != method:
            continue
        try:
            return handler(request, state, *match.groups())
        except ControlError as error:
            return json_response({"error": str(error)}, status=error.status)
    if path_known:
        return json_response(
            {"error": "%s is not allowed on /_emulator%s" % (request.method, path)}, status=405
        )
    return json_response(
        {"error": "unknown control call: %s /_emulator%s" % (request.method, path)}, status=404
    )
