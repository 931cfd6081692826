"""The control API (/_emulator/…): tenant settings, apps, users, grants, faults, and
acting on mailboxes as Outlook would.
"""
