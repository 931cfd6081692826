"""The mailbox screen on a big folder: first page, a deep page and a search, timed in a
folder of 100,000 messages and in one of 1,000 (QUICK=1: 20,000 and 1,000).

Rows are written straight into PostgreSQL (what a finished sync leaves), then the RPCs
the screen calls run in an Odoo shell, as a MailDesk user with the record rules on.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import odoo_env

DATABASE = "maildesk_bench_mailbox"
BIG = 20_000 if os.environ.get("QUICK") else 100_000
SMALL = 1_000
REPEAT = 5

SCRIPT = textwrap.dedent("""
    import statistics, time
    user = env["res.users"].create({
        "name": "Bench Reader", "login": "bench_reader",
        "groups_id": [(6, 0, [env.ref("base.group_user").id,
                              env.ref("maildesk.group_maildesk_user").id])]})
    account = env["maildesk.account"].with_user(user).create(
        {"name": "Bench", "email": "bench@maildesk.example"})
    Folder = env["maildesk.folder"].sudo()
    big = Folder.create({"account_id": account.id, "remote_id": "big", "name": "Big",
                         "well_known_name": "inbox"})
    small = Folder.create({"account_id": account.id, "remote_id": "small", "name": "Small"})
    for folder, count in ((big, BIG), (small, SMALL)):
        env.cr.execute('''
            INSERT INTO maildesk_message (account_id, folder_id, remote_id, subject,
                from_address, from_name, to_recipients, preview, received_date, is_read,
                is_flagged, has_attachments, importance, internet_message_id,
                conversation_id)
            SELECT %(account)s, %(folder)s, %(folder)s || '-' || n,
                   'Order ' || n || ' ' || (ARRAY['invoice','meeting','quote','report',
                       'delivery','contract'])[1 + n %% 6],
                   'sender' || (n %% 2000) || '@example' || (n %% 50) || '.com',
                   'Sender ' || (n %% 2000), 'bench@maildesk.example',
                   'Preview of message ' || n,
                   now() - make_interval(mins => n), n %% 3 <> 0, n %% 17 = 0,
                   n %% 5 = 0, 'normal', '<' || %(folder)s || '.' || n || '@example.com>',
                   'conv-' || %(folder)s || '-' || (n / 3)
              FROM generate_series(1, %(count)s) n
        ''', {"account": account.id, "folder": folder.id, "count": count})
    env.cr.execute("ANALYZE maildesk_message")
    env.cr.commit()
    mailbox = env["maildesk.mailbox"].with_user(user)

    def timed(label, call):
        times = []
        for _ in range(REPEAT):
            env.invalidate_all()
            started = time.perf_counter()
            result = call()
            times.append((time.perf_counter() - started) * 1000)
        print("%-44s median %7.1f ms  (min %.1f, rows %d)" % (
            label, statistics.median(times), min(times), len(result["messages"])))
        return result

    for folder, count in ((big, BIG), (small, SMALL)):
        scope = {"folder_id": folder.id}
        first = timed("%d msgs: first page (50)" % count,
                      lambda: mailbox.list_messages(scope))
        env.cr.execute("SELECT received_date, id FROM maildesk_message WHERE folder_id = %s "
                       "ORDER BY received_date DESC, id DESC OFFSET %s LIMIT 1",
                       [folder.id, count - 100])
        when, last_id = env.cr.fetchone()
        key = [str(when)[:19], last_id]
        timed("%d msgs: page near the end (50)" % count,
              lambda: mailbox.list_messages(scope, after=key))
        timed("%d msgs: unread filter (50)" % count,
              lambda: mailbox.list_messages(scope, filters={"unread": True}))
        timed("%d msgs: search 'sender1234' (50)" % count,
              lambda: mailbox.list_messages(scope, search="sender1234"))
        timed("%d msgs: search 'contract 77' (50)" % count,
              lambda: mailbox.list_messages(scope, search="contract 77"))
    started = time.perf_counter()
    mailbox.get_tree()
    elapsed = (time.perf_counter() - started) * 1000
    print("%-44s %7.1f ms" % ("folder tree with unread counts", elapsed))
""")


def main():
    odoo_env.ensure_postgres()
    odoo_env.drop_database(DATABASE)
    try:
        subprocess.run(
            odoo_env.odoo_command(
                "-d",
                DATABASE,
                "-i",
                "maildesk",
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
            ),
            cwd=odoo_env.REPO,
            check=True,
        )
        script = f"BIG = {BIG}\nSMALL = {SMALL}\nREPEAT = {REPEAT}\n" + SCRIPT
        command = odoo_env.odoo_command("-d", DATABASE, "--no-http", "--log-level=warn")
        command.insert(2, "shell")  # the sub-command comes right after odoo-bin
        subprocess.run(command, cwd=odoo_env.REPO, input=script, text=True, check=True)
    finally:
        odoo_env.drop_database(DATABASE)


if __name__ == "__main__":
    main()
