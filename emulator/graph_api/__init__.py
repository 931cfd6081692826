"""Graph v1.0 mail as the emulator serves it: request routing and checks, folders, messages
and their ``$search``, message delta, send / reply / forward, uploads and JSON batching,
change-notification subscriptions and the notifications they send, and the JSON shapes.
"""
