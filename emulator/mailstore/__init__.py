"""The mailboxes behind Graph: folders, messages, ids, bodies and MIME, the change log
and the delta rounds computed from it.
"""
