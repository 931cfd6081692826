"""The chaos soak's cron server (tools/chaos_soak.py runs it): Odoo cron workers that may
be killed at any moment and come back at once.

Shaped like Odoo's multi-process server: a master process preloads the database's
registry, closes its connections, and forks cron worker processes; each worker runs Odoo's
own cron runner, ``ir_cron._process_jobs``, as ``WorkerCron`` does: LISTEN on
``cron_trigger``, wake on a NOTIFY or after a poll interval, process every ready job.
The MailDesk sync worker crons are claimed with Odoo's ``FOR NO KEY UPDATE SKIP LOCKED``,
so two worker processes run the two sync workers side by side, as two Odoo servers on one
PostgreSQL would. Forking from a warm master makes a restart after SIGKILL take
milliseconds instead of a registry load.

The master reads commands on stdin, one a line, and answers on stdout:

    spawn N    fork a worker for slot N; answers "N <pid>"
    (EOF)      stop the workers and exit

    python tools/soak_worker.py --database DB --logfile FILE
"""

import argparse
import contextlib
import logging
import os
import random
import select
import signal
import sys

import odoo_env

# Odoo as a library, as odoo-bin runs it.
sys.path.insert(0, str(odoo_env.ODOO_PATH))

import odoo

# Odoo's cron workers sleep up to 60 s between polls; the soak lasts minutes, so wakeups
# a throttled folder asked for (a trigger in the future, no NOTIFY) must come sooner.
POLL_SECONDS = 1.0


def run_worker(database, master_pid):
    """A cron worker's life: poll for ready jobs until the master goes away."""
    from odoo.addons.base.models.ir_cron import ir_cron  # imported once the config is parsed

    # As Odoo's workers do: the forked RNG state is the master's, the engine's jitter must
    # not be the same in every worker.
    random.seed()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The preloaded registry's connections would carry the master's pid in their
    # application_name; the driver tells the workers' backends apart by it.
    odoo.modules.registry.Registry(database)._db = odoo.sql_db.db_connect(database)
    listener = odoo.sql_db.db_connect("postgres").cursor()
    listener.execute("LISTEN cron_trigger")
    listener.commit()
    connection = listener._cnx
    while os.getppid() == master_pid:
        ir_cron._process_jobs(database)
        select.select([connection], [], [], POLL_SECONDS)
        connection.poll()
        connection.notifies.clear()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", required=True)
    parser.add_argument("--logfile", required=True)
    options = parser.parse_args()
    odoo.tools.config.parse_config(
        odoo_env.library_args(options.database, options.logfile), setup_logging=True
    )
    odoo.modules.registry.Registry(options.database)
    # As Odoo's prefork server does before forking: no connection may be shared.
    odoo.sql_db.close_all()
    master_pid = os.getpid()
    children = set()
    print("ready", flush=True)
    try:
        for line in sys.stdin:
            for pid in list(children):
                # Reap killed workers: the driver reads a zombie as dead, but they would pile up.
                if os.waitpid(pid, os.WNOHANG)[0]:
                    children.discard(pid)
            command = line.split()
            if command[:1] != ["spawn"]:
                continue
            pid = os.fork()
            if pid == 0:
                # Whatever a worker prints goes to the log (stderr), never into the answers.
                os.dup2(2, 1)
                code = 0
                try:
                    run_worker(options.database, master_pid)
                except BaseException:
                    logging.getLogger(__name__).exception("soak cron worker crashed")
                    code = 1
                # Never back into the master's loop, nor through its cleanup.
                os._exit(code)
            children.add(pid)
            print("%s %d" % (command[1], pid), flush=True)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
