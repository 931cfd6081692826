"""The emulator's own certificate authority and its server certificate.

msal accepts only https authorities, so the emulator serves TLS with a CA it generates.
Clients trust ``ca.pem`` (``verify=ca.pem`` for requests and msal; Chromium through its
NSS database). The files are created on first start and reused after, so a CA already
trusted by a browser stays valid across restarts.
"""

import datetime
import ipaddress
import os
import ssl
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"

SERVER_IPS = ("127.0.0.1", "::1")
SERVER_DNS_NAMES = ("localhost",)

CA_LIFETIME = datetime.timedelta(days=3650)
# Browsers refuse server certificates valid for more than 398 days.
SERVER_LIFETIME = datetime.timedelta(days=397)
# Renew the server certificate well before it runs out.
RENEW_MARGIN = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """Absolute paths of the PEM files in the state directory."""

    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str


def ensure_tls_files(state_dir):
    """Create (or reuse) the CA and the server certificate in ``state_dir``."""
    state_dir = os.path.abspath(state_dir)
    os.makedirs(state_dir, exist_ok=True)
    files = TlsFiles(
        ca_cert=os.path.join(state_dir, CA_CERT),
        ca_key=os.path.join(state_dir, CA_KEY),
        server_cert=os.path.join(state_dir, SERVER_CERT),
        server_key=os.path.join(state_dir, SERVER_KEY),
    )
    ca = _load_pair(files.ca_cert, files.ca_key)
    if ca is None or _expires_soon(ca[0]):
        ca = _create_ca()
        _write_pair(files.ca_cert, files.ca_key, *ca)
        server = None
    else:
        server = _load_pair(files.server_cert, files.server_key)
    if server is None or not _server_cert_is_current(server[0], ca[0]):
        server = _create_server_cert(*ca)
        _write_pair(files.server_cert, files.server_key, *server)
    return files


def server_ssl_context(files):
    """An SSL context that serves the server certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.server_cert, files.server_key)
    return context


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


_KEY_USAGE_FLAGS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _key_usage(**granted):
    """A KeyUsage extension allowing only the ``granted`` uses (x509 wants every flag)."""
    flags = dict.fromkeys(_KEY_USAGE_FLAGS, False)
    flags.update(granted)
    return x509.KeyUsage(**flags)


def _create_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MailDesk Emulator"),
            x509.NameAttribute(NameOID.COMMON_NAME, "MailDesk Emulator Local CA"),
        ]
    )
    now = _now()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate, key


def _create_server_cert(ca_cert, ca_key):
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    alt_names = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
    alt_names += [x509.DNSName(name) for name in SERVER_DNS_NAMES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + SERVER_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return certificate, key


def _server_cert_is_current(certificate, ca_cert):
    if certificate.issuer != ca_cert.subject or _expires_soon(certificate):
        return False
    try:
        ca_cert.public_key().verify(
            certificate.signature,
            certificate.tbs_certificate_bytes,
            ec.ECDSA(certificate.signature_hash_algorithm),
        )
        alt_names = certificate.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value
    except Exception:  # wrong key type, bad signature or no SAN: make a new one
        return False
    ips = {str(ip) for ip in alt_names.get_values_for_type(x509.IPAddress)}
    names = set(alt_names.get_values_for_type(x509.DNSName))
    return ips >= set(SERVER_IPS) and names >= set(SERVER_DNS_NAMES)


def _expires_soon(certificate):
    return certificate.not_valid_after_utc - RENEW_MARGIN < _now()


def _load_pair(cert_path, key_path):
    if not (os.path.exists(cert_path) and os.path.exists(key_path)):
        return None
    try:
        with open(cert_path, "rb") as handle:
            certificate = x509.load_pem_x509_certificate(handle.read())
        with open(key_path, "rb") as handle:
            key = serialization.load_pem_private_key(handle.read(), password=None)
    except (ValueError, TypeError):
        return None
    return certificate, key


def write_private_key(path, key):
    """Store a private key as unencrypted PKCS#8 PEM, readable by its owner only."""
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key_pem)


def _write_pair(cert_path, key_path, certificate, key):
    write_private_key(key_path, key)
    with open(cert_path, "wb") as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
