"""The HTTPS front: the WSGI app and its TLS, the request log, throttling limits and
injected faults.
"""
