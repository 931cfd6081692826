"""The RSA key that signs id_tokens, published at ``/{tenant}/discovery/v2.0/keys``."""

import base64
import datetime
import hashlib
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ..server.tls import write_private_key


def b64url(data):
    """Unpadded base64url, as JWTs use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(number):
    return number.to_bytes((number.bit_length() + 7) // 8, "big")


class SigningKey:
    """An RSA key with its key id and a self-signed certificate for the JWKS ``x5c``."""

    def __init__(self, private_key):
        self.private_key = private_key
        self.certificate = _self_signed_certificate(private_key)
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        # Entra ID uses the certificate thumbprint (x5t) as the key id.
        self.kid = b64url(hashlib.sha1(der).digest())
        self._x5c = base64.b64encode(der).decode("ascii")

    @classmethod
    def generate(cls):
        """A fresh 2048-bit key."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def load_or_create(cls, path):
        """Reuse the key stored at ``path`` so JWKS stay stable across restarts."""
        if os.path.exists(path):
            with open(path, "rb") as handle:
                key = serialization.load_pem_private_key(handle.read(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                return cls(key)
        signing_key = cls.generate()
        write_private_key(path, signing_key.private_key)
        return signing_key

    def jwk(self, issuer):
        """The public key as one entry of a JWKS document."""
        numbers = self.private_key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "x5t": self.kid,
            "n": b64url(_int_bytes(numbers.n)),
            "e": b64url(_int_bytes(numbers.e)),
            "x5c": [self._x5c],
            "issuer": issuer,
        }

    def sign_jwt(self, claims):
        """A compact RS256 JWT carrying ``claims``."""
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        signing_input = "%s.%s" % (
            b64url(json.dumps(header, separators=(",", ":")).encode()),
            b64url(json.dumps(claims, separators=(",", ":")).encode()),
        )
        signature = self.private_key.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        return signing_input + "." + b64url(signature)


def _self_signed_certificate(private_key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.emulator.local")])
    # A fixed serial and fixed dates (and deterministic PKCS#1 v1.5 signatures) keep the
    # thumbprint, hence the kid, stable for a stored key.
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2044, 1, 1, tzinfo=datetime.timezone.utc))
        .sign(private_key, hashes.SHA256())
    )
