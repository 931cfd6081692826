"""What a fresh emulator can be filled with: the demo identities and mailbox, or a large
generated Inbox.
"""
