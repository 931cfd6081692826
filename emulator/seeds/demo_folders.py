"""The demo mailbox's folder tree, shaped like an Exchange Online mailbox of some age.

The top level holds what Exchange creates in every mailbox, which is more than the seven
folders a client thinks of (so ``GET /me/mailFolders`` with its default page of 10 ends
with a nextLink): Conversation History, RSS Feeds, Scheduled and Sync Issues with its
Conflicts, Local Failures and Server Failures. Below them sit the user's own folders, a
few levels deep (Inbox/Projects/Acme/2026), a hidden folder and a search folder.
"""

from ..mailstore.folder import SearchDefinition

# (display name, well-known name): the distinguished folders beyond the seven every
# mailbox in the emulator has. RSS Feeds is distinguished too, but Graph v1.0 has no
# well-known name for it.
SYSTEM_FOLDERS = (
    ("Conversation History", "conversationhistory"),
    ("RSS Feeds", "rssfeeds"),
    ("Scheduled", "scheduled"),
    ("Sync Issues", "syncissues"),
)
SYNC_ISSUES_FOLDERS = (
    ("Conflicts", "conflicts"),
    ("Local Failures", "localfailures"),
    ("Server Failures", "serverfailures"),
)
# Where the corpus files mail: the well-known folders by their names, and these.
MAIL_FOLDERS = ("inbox", "sentitems", "drafts", "deleteditems", "archive", "junkemail")


def add_system_folders(mailbox):
    """Create the distinguished folders Exchange Online adds to a new mailbox."""
    for display_name, well_known in SYSTEM_FOLDERS:
        mailbox.create_system_folder(display_name, well_known)
    sync_issues = mailbox.folder("syncissues")
    for display_name, well_known in SYNC_ISSUES_FOLDERS:
        mailbox.create_system_folder(display_name, well_known, parent=sync_issues)


def build_folder_tree(mailbox):
    """Create the demo folders; returns the folders mail is filed into, by key."""
    add_system_folders(mailbox)
    inbox = mailbox.folder("inbox")
    projects = mailbox.create_folder("Projects", inbox)
    acme = mailbox.create_folder("Acme", projects)
    folders = {name: mailbox.folder(name) for name in MAIL_FOLDERS}
    folders.update(
        {
            "acme": acme,
            "acme2026": mailbox.create_folder("2026", acme),
            "globex": mailbox.create_folder("Globex", projects),
            "receipts": mailbox.create_folder("Receipts", inbox),
            "newsletters": mailbox.create_folder("Newsletters", inbox),
            "private": mailbox.create_folder("Private", hidden=True),
        }
    )
    mailbox.create_folder("Unread Mail", search=SearchDefinition([inbox.number], "unread"))
    return folders


def queue_nested_mail(corpus, acme_people):
    """Queue a few messages for the deepest folder (Inbox/Projects/Acme/2026)."""
    for number, topic in enumerate(
        ("2026 roadmap", "2026 budget", "2026 kickoff venue", "2026 staffing")
    ):
        corpus.add(
            "acme2026",
            acme_people[number % len(acme_people)],
            "Acme " + topic,
            corpus.when(40, 1),
            categories=["Project Acme"],
        )
