"""Run the emulator as a child process, for tests, demos and benchmarks.

Usable from pytest, from Odoo tests (imported as ``odoo.addons.maildesk.emulator.testing``)
and from plain scripts: it needs only the standard library and requests.

    with EmulatorProcess(seed="demo") as emulator:
        emulator.control("POST", "/settings", json={"auto_consent": True})
        requests.get(emulator.info["graph"] + "/me", verify=emulator.info["ca_file"], ...)
"""

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time

import requests

# The folder that holds the ``emulator`` package: ``python -m emulator`` runs from there
# whether this package was imported as ``emulator`` or as ``odoo.addons.maildesk.emulator``.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

STARTUP_TIMEOUT = 10.0


class EmulatorStartError(RuntimeError):
    """The emulator process died or stayed silent instead of announcing itself."""


class EmulatorProcess:
    """A running ``python -m emulator`` child process.

    ``info`` is the JSON line the emulator prints when ready:
    ``{"login", "graph", "control", "ca_file"}``.
    """

    def __init__(self, seed="none", state_dir=None, extra_args=(), startup_timeout=STARTUP_TIMEOUT):
        self.seed = seed
        self.startup_timeout = startup_timeout
        self.extra_args = tuple(extra_args)
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="maildesk-emulator-")
        self.info = None
        self._process = None
        self._stderr_file = None
        self._session = None

    def start(self):
        """Start the process and wait until it prints its JSON line; return ``self``."""
        if self._process is not None:
            return self
        command = [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--seed",
            self.seed,
            "--state-dir",
            self.state_dir,
            "--exit-with-stdin",
            *self.extra_args,
        ]
        # stderr goes to a file, not a pipe: nobody reads it while the emulator runs, and
        # a full pipe would block the server the moment it logs enough.
        self._stderr_file = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 (open while the process runs)
        self._process = subprocess.Popen(
            command,
            cwd=PACKAGE_PARENT,
            # Never written to: if this process dies, the pipe closes and the emulator exits.
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
        )
        try:
            line = self._read_ready_line()
            self.info = json.loads(line)
        except BaseException:
            self.stop()
            raise
        self._session = requests.Session()
        return self

    def _read_ready_line(self):
        deadline = time.monotonic() + self.startup_timeout
        selector = selectors.DefaultSelector()
        selector.register(self._process.stdout, selectors.EVENT_READ)
        buffer = b""
        try:
            while b"\n" not in buffer:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise EmulatorStartError(
                        "the emulator did not become ready within %.0f s\n%s"
                        % (self.startup_timeout, self.stderr_text())
                    )
                if not selector.select(timeout=remaining):
                    continue
                chunk = os.read(self._process.stdout.fileno(), 4096)
                if not chunk:
                    self._process.wait(timeout=5)
                    raise EmulatorStartError(
                        "the emulator exited with code %s before it was ready\n%s"
                        % (self._process.returncode, self.stderr_text())
                    )
                buffer += chunk
        finally:
            selector.close()
        return buffer.split(b"\n", 1)[0].decode("utf-8")

    def stop(self):
        """Stop the process (politely, then firmly) and release its resources."""
        if self._session is not None:
            self._session.close()
            self._session = None
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr_file is not None:
            self._stderr_file.close()
            self._stderr_file = None
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def running(self):
        """True while the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def stderr_text(self, limit=20000):
        """The tail of what the emulator wrote to stderr (for error messages)."""
        if self._stderr_file is None:
            return ""
        self._stderr_file.flush()
        self._stderr_file.seek(0, os.SEEK_END)
        size = self._stderr_file.tell()
        self._stderr_file.seek(max(0, size - limit))
        return self._stderr_file.read().decode("utf-8", "replace")

    @property
    def login(self):
        """Base URL of the identity platform, e.g. ``https://127.0.0.1:PORT``."""
        return self.info["login"]

    @property
    def graph(self):
        """Base URL of Graph, e.g. ``https://127.0.0.1:PORT/v1.0``."""
        return self.info["graph"]

    @property
    def ca_file(self):
        """Path of the CA certificate to pass as ``verify=``."""
        return self.info["ca_file"]

    def control(self, method, path, json=None, timeout=30):
        """Call the control API: ``control("POST", "/reset")`` -> ``requests.Response``."""
        if self._session is None:
            raise RuntimeError("the emulator is not running")
        url = self.info["control"] + (path if path.startswith("/") else "/" + path)
        # verify is passed per call: requests lets REQUESTS_CA_BUNDLE override a
        # session-level verify, and CI machines often set it.
        return self._session.request(
            method, url, json=json, timeout=timeout, verify=self.info["ca_file"]
        )
