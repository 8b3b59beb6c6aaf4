"""The log's own proof: each stored event is chained to the one before it and the chain is
signed, so that nothing recorded can be altered, removed, inserted or appended unnoticed.

An event's digest covers its stored form (aggregate id, version, topic, stored bytes); its link
is sha256(previous link + position + digest). A signature covers a position and its link, and
with it every event up to that position."""

from __future__ import annotations

import base64
import hashlib
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

GENESIS = bytes(32)
SIGNATURE_CONTEXT = b"jointcase-chain-v1\x00"


def digest_of(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    h = hashlib.sha256()
    h.update(originator_id.bytes if isinstance(originator_id, UUID) else UUID(originator_id).bytes)
    h.update(version.to_bytes(8, "big", signed=True))
    h.update(topic.encode())
    h.update(b"\0")
    h.update(state)
    return h.digest()


def link_of(previous: bytes, position: int, digest: bytes) -> bytes:
    return hashlib.sha256(previous + position.to_bytes(8, "big") + digest).digest()


def signed_message(position: int, link: bytes) -> bytes:
    return SIGNATURE_CONTEXT + position.to_bytes(8, "big") + link


class ChainVerifier:
    """Checks signatures with the public key alone (what an auditor holds)."""

    def __init__(self, public_key: bytes) -> None:
        self.public_key = public_key
        self._key = Ed25519PublicKey.from_public_bytes(public_key)

    @classmethod
    def from_text(cls, text: str) -> ChainVerifier:
        return cls(_decode(text, "public key"))

    @property
    def key_id(self) -> str:
        """A short name of the key, to tell keys apart in messages and files."""
        return hashlib.sha256(self.public_key).hexdigest()[:16]

    def text(self) -> str:
        return base64.b64encode(self.public_key).decode()

    def valid(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def link_is_signed(self, position: int, link: bytes, signature: bytes) -> bool:
        return self.valid(signed_message(position, link), signature)


class ChainSigner:
    """Signs chain links with an Ed25519 key the database never holds."""

    def __init__(self, private_key: bytes) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(private_key)
        self.verifier = ChainVerifier(
            self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        )

    @classmethod
    def from_text(cls, text: str) -> ChainSigner:
        return cls(_decode(text, "private key"))

    @staticmethod
    def generate_key_text() -> str:
        from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

        raw = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        return base64.b64encode(raw).decode()

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def sign_link(self, position: int, link: bytes) -> bytes:
        return self.sign(signed_message(position, link))


def _decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise ValueError(f"the chain {what} is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"the chain {what} must be 32 bytes (base64), not {len(raw)}")
    return raw
