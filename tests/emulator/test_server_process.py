"""The process: command line, readiness line, TLS material and robustness."""

import json
import os
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography import x509

from emulator.testing import PACKAGE_PARENT, EmulatorProcess, EmulatorStartError


def test_ready_line_names_every_origin(emulator):
    info = emulator.info

    assert set(info) == {"login", "graph", "control", "ca_file"}
    origin = urlsplit(info["login"])
    assert origin.scheme == "https" and origin.hostname == "127.0.0.1" and origin.port
    assert info["graph"] == info["login"] + "/v1.0"
    assert info["control"] == info["login"] + "/_emulator"
    assert os.path.isabs(info["ca_file"]) and os.path.exists(info["ca_file"])


def test_server_certificate_covers_ip_and_localhost(emulator):
    state_dir = os.path.dirname(emulator.ca_file)
    with open(os.path.join(state_dir, "server.pem"), "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())

    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value

    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    port = urlsplit(emulator.login).port
    for host in ("127.0.0.1", "localhost"):
        response = requests.get(
            "https://%s:%d/common/discovery/v2.0/keys" % (host, port),
            verify=emulator.ca_file,
            timeout=10,
        )
        assert response.status_code == 200


def test_untrusted_clients_are_refused_by_tls(emulator):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(
            emulator.login + "/common/discovery/v2.0/keys",
            verify=ssl.get_default_verify_paths().cafile or True,
            timeout=10,
        )


def test_state_dir_keeps_the_ca_across_restarts(tmp_path):
    with EmulatorProcess(state_dir=str(tmp_path)) as first:
        ca_before = Path(first.ca_file).read_bytes()
        keys_before = requests.get(
            first.login + "/common/discovery/v2.0/keys", verify=first.ca_file, timeout=10
        ).json()
    started = time.monotonic()
    with EmulatorProcess(state_dir=str(tmp_path)) as second:
        ready_after = time.monotonic() - started
        assert Path(second.ca_file).read_bytes() == ca_before
        keys_after = requests.get(
            second.login + "/common/discovery/v2.0/keys", verify=second.ca_file, timeout=10
        ).json()
    assert [(k["kid"], k["n"]) for k in keys_after["keys"]] == [
        (k["kid"], k["n"]) for k in keys_before["keys"]
    ]
    assert ready_after < 2
    assert os.path.isdir(tmp_path), "a state dir given by the caller is left in place"


def test_a_silent_connection_does_not_stall_other_clients(emulator):
    port = urlsplit(emulator.login).port
    with socket.create_connection(("127.0.0.1", port)):
        # Connected, but no TLS handshake: the server must keep serving others.
        response = requests.get(
            emulator.login + "/common/discovery/v2.0/keys", verify=emulator.ca_file, timeout=5
        )
    assert response.status_code == 200


def test_bad_seed_makes_start_fail_with_the_error_text():
    with pytest.raises(EmulatorStartError) as failure:
        EmulatorProcess(seed="no-such-seed").start()

    assert "no-such-seed" in str(failure.value)


def test_python_dash_m_prints_one_json_line_and_stops_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--state-dir", str(tmp_path)],
        cwd=PACKAGE_PARENT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        info = json.loads(process.stdout.readline())
        assert (
            requests.get(
                info["login"] + "/common/v2.0/.well-known/openid-configuration",
                verify=info["ca_file"],
                timeout=10,
            ).status_code
            == 200
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
    assert process.stdout.read() == b""
    process.stdout.close()
    process.stderr.close()


def test_emulator_does_not_outlive_a_parent_that_dies_without_stopping_it(tmp_path):
    script = (
        "import json, os, sys\n"
        "from emulator.testing import EmulatorProcess\n"
        "emulator = EmulatorProcess(state_dir=sys.argv[1]).start()\n"
        "print(json.dumps(emulator.info), flush=True)\n"
        "os._exit(0)\n"
    )
    parent = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=PACKAGE_PARENT,
        capture_output=True,
        timeout=30,
        check=True,
    )
    info = json.loads(parent.stdout)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(
                info["login"] + "/common/discovery/v2.0/keys", verify=info["ca_file"], timeout=2
            )
        except requests.ConnectionError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the emulator kept serving after its parent died")
