"""The mailboxes behind Graph: folders, messages, ids, bodies and MIME, the change log,
the delta rounds computed from it and the subscriptions that watch it.
"""
