"""The HTTPS front: the WSGI app and its TLS, the request log, throttling limits,
injected faults, and posting notifications to subscribers' endpoints.
"""
