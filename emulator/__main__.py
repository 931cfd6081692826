"""``python -m emulator``: serve the Microsoft cloud emulator until stopped.

When ready it prints one JSON line on stdout (login, graph, control, ca_file).
"""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading

from .control.chaos_setting import DEFAULT_LEVEL as DEFAULT_CHAOS_LEVEL
from .identity.signing import SigningKey
from .server.app import create_server
from .server.tls import ensure_tls_files, server_ssl_context
from .state.model import EmulatorState
from .state.persistence import STATE_FILE, StateSaver, load_state_file

SIGNING_KEY_FILE = "signing.key"


def parse_args(argv=None):
    """The command line (see emulator/README.md)."""
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description="Local stand-in for login.microsoftonline.com and graph.microsoft.com.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--state-dir",
        help="keeps the CA, server certificate and signing key across runs "
        "(default: a fresh temporary directory, removed on exit)",
    )
    parser.add_argument(
        "--persist",
        action="store_true",
        help="keep apps, users, mail, tokens and settings in STATE_DIR/state.json: saved "
        "as they change and at exit, loaded at start (needs --state-dir)",
    )
    parser.add_argument(
        "--seed",
        default="none",
        help="none, demo or large:N (with --persist: only when nothing " "was saved yet)",
    )
    parser.add_argument(
        "--chaos",
        type=int,
        metavar="SEED",
        help="chaos mode: misbehave at random as Outlook does, replayably "
        "from this seed (off by default)",
    )
    parser.add_argument(
        "--chaos-level",
        type=float,
        metavar="L",
        default=None,
        help="how hostile chaos is, from 0 (off) to 1 (default %s)" % DEFAULT_CHAOS_LEVEL,
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument(
        "--exit-with-stdin",
        action="store_true",
        help="stop when stdin reaches end of file (the parent process went away)",
    )
    return parser.parse_args(argv)


def main(argv=None):
    """Start the emulator and serve until SIGTERM / SIGINT."""
    args = parse_args(argv)
    if args.persist and not args.state_dir:
        # A temporary state directory is removed on exit: nothing would survive.
        print("python -m emulator: --persist needs --state-dir", file=sys.stderr)
        return 2
    chaos_problem = _chaos_problem(args)
    if chaos_problem:
        print("python -m emulator: %s" % chaos_problem, file=sys.stderr)
        return 2
    temporary_dir = None
    state_dir = args.state_dir
    if not state_dir:
        state_dir = temporary_dir = tempfile.mkdtemp(prefix="maildesk-emulator-")
    os.makedirs(state_dir, exist_ok=True)
    saver = None
    try:
        tls_files = ensure_tls_files(state_dir)
        state = EmulatorState(SigningKey.load_or_create(os.path.join(state_dir, SIGNING_KEY_FILE)))
        loaded = False
        if args.persist:
            state_file = os.path.join(state_dir, STATE_FILE)
            try:
                loaded = load_state_file(state, state_file)
            except ValueError as error:
                print(
                    "python -m emulator: cannot load %s: %s (move it away to start afresh)"
                    % (state_file, error),
                    file=sys.stderr,
                )
                return 2
        # A saved state already holds whatever a seed once made, and what happened since.
        if args.seed and args.seed != "none" and not loaded:
            from .seeds.apply import apply_seed

            try:
                apply_seed(state, args.seed)
            except ValueError as error:
                print("python -m emulator: --seed %s: %s" % (args.seed, error), file=sys.stderr)
                return 2
        if args.chaos is not None:
            state.chaos.configure_startup(args.chaos, _chaos_level(args))
        if args.persist:
            saver = StateSaver(state, state_file)
            saver.save()
            saver.start()
        server = create_server(
            state,
            args.host,
            args.port,
            server_ssl_context(tls_files),
            verbose=args.verbose,
            on_change=saver.changed if saver else None,
        )
        # SIGTERM (what EmulatorProcess.stop sends) ends the loop like Ctrl-C does.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        if args.exit_with_stdin:
            threading.Thread(target=_shutdown_at_eof, args=(server,), daemon=True).start()
        print(json.dumps(_ready_line(args.host, server.port, tls_files.ca_cert)), flush=True)
        # The ready line is all stdout carries: anything printed later goes to stderr, so
        # a parent that stopped reading the stdout pipe can never block the server.
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        if saver is not None:
            saver.close()
        if temporary_dir:
            shutil.rmtree(temporary_dir, ignore_errors=True)
    return 0


def _chaos_level(args):
    return DEFAULT_CHAOS_LEVEL if args.chaos_level is None else args.chaos_level


def _chaos_problem(args):
    if args.chaos is None:
        return "--chaos-level needs --chaos SEED" if args.chaos_level is not None else None
    if not 0 <= _chaos_level(args) <= 1:
        return "--chaos-level must be from 0 to 1"
    return None


def _ready_line(host, port, ca_file):
    # Clients must use a name the certificate covers: 127.0.0.1 for the wildcard bind.
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    if ":" in shown_host:
        shown_host = "[%s]" % shown_host
    origin = "https://%s:%d" % (shown_host, port)
    return {
        "login": origin,
        "graph": origin + "/v1.0",
        "control": origin + "/_emulator",
        "ca_file": os.path.abspath(ca_file),
    }


def _shutdown_at_eof(server):
    # A parent killed without cleaning up closes our stdin: do not outlive it. The raw
    # descriptor is read, not sys.stdin, whose buffer lock would hang interpreter exit.
    while os.read(sys.stdin.fileno(), 4096):
        pass
    server.shutdown()


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
