"""The control API (/_emulator/…): tenant settings, apps, users, grants, faults, acting on
mailboxes as Outlook would, and change-notification subscriptions with their lifecycle
events.
"""
