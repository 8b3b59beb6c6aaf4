"""Informant identities (举报人): sealed with AES-GCM before they enter any event, bound to their
lead, and replaced everywhere else by a pseudonymous informant number. Each read of an identity is
itself recorded as an event of an access log kept apart from the lead."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import field
from uuid import UUID, uuid5

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput
from domain.events import JointCreated, JointEvent, stamp
from domain.jurisdiction import NAMESPACE
from domain.values import Context

_PREFIX = "v1:"
#: Event fields that carry informant data: never copied into views, logs or exports.
PRIVATE_EVENT_FIELDS = frozenset({"informant_ciphertext"})


class InformantCipher:
    """Seals and opens informant identities with a 32-byte key from the settings."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("the informant key must be 32 bytes (base64 of 32 random bytes)")
        self._aead = AESGCM(self._derive(key, b"jointcase informant encryption"))
        self._mac_key = self._derive(key, b"jointcase informant pseudonym")
        self._stored = AESGCM(self._derive(key, b"jointcase stored secret"))

    @staticmethod
    def _derive(key: bytes, info: bytes) -> bytes:
        return HKDF(algorithm=SHA256(), length=32, salt=None, info=info).derive(key)

    @classmethod
    def from_text(cls, text: str) -> InformantCipher:
        try:
            key = base64.b64decode(text.strip(), validate=True)
        except ValueError as e:
            raise ValueError("the informant key is not valid base64") from e
        return cls(key)

    @staticmethod
    def generate_key_text() -> str:
        return base64.b64encode(os.urandom(32)).decode("ascii")

    @staticmethod
    def _normalise(identity: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", identity).split()).casefold()

    def pseudonym(self, identity: str) -> str:
        """The same informant always gets the same number, which reveals nothing without the key."""
        digest = hmac.new(self._mac_key, self._normalise(identity).encode(), hashlib.sha256)
        return "INF-" + digest.hexdigest()[:10].upper()

    def seal(self, identity: str, lead_id: UUID) -> tuple[str, str]:
        """Returns (ciphertext, pseudonym). The ciphertext only opens for this lead."""
        identity = identity.strip()
        if not identity:
            raise InvalidInput("an informant identity must not be empty")
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, identity.encode(), lead_id.bytes)
        return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii"), self.pseudonym(identity)

    def open(self, ciphertext: str, lead_id: UUID) -> str:
        if not ciphertext.startswith(_PREFIX):
            raise ValueError("unknown informant ciphertext format")
        raw = base64.b64decode(ciphertext[len(_PREFIX) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], lead_id.bytes).decode()
        except InvalidTag as e:
            raise ValueError("informant ciphertext does not open with this key") from e

    # Other secrets the service must read back (an officer's TOTP seed) are sealed at rest with
    # the same key, under a key of their own derived from it, and open only for their owner.
    def seal_secret(self, secret: str, owner: str) -> str:
        nonce = os.urandom(12)
        sealed = self._stored.encrypt(nonce, secret.encode(), owner.encode())
        return _PREFIX + base64.b64encode(nonce + sealed).decode("ascii")

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(_PREFIX)

    def open_secret(self, sealed: str, owner: str) -> str:
        if not self.is_sealed(sealed):
            raise ValueError("unknown sealed secret format")
        raw = base64.b64decode(sealed[len(_PREFIX) :])
        try:
            return self._stored.decrypt(raw[:12], raw[12:], owner.encode()).decode()
        except InvalidTag as e:
            raise ValueError("sealed secret does not open with this key") from e


class InformantAccessLog(Aggregate):
    """Who read the identity of a lead's informant, when and why (one log per lead)."""

    class Event(JointEvent):
        pass

    class Started(JointCreated, Event):
        lead_id: UUID

        def apply(self, log: InformantAccessLog) -> None:
            log.lead_id = self.lead_id
            log.reads = 0

    class IdentityViewed(Event):
        lead_id: UUID
        purpose: str

        def apply(self, log: InformantAccessLog) -> None:
            log.reads += 1

    lead_id: UUID = field(init=False)
    reads: int = field(init=False)

    @staticmethod
    def id_for(lead_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"informant-access/{lead_id}")

    @classmethod
    def start(cls, lead_id: UUID, ctx: Context) -> InformantAccessLog:
        return cls._create(cls.Started, id=cls.id_for(lead_id), lead_id=lead_id, **stamp(ctx))

    def record_view(self, purpose: str, ctx: Context) -> None:
        self.trigger_event(
            self.IdentityViewed, lead_id=self.lead_id, purpose=purpose.strip(), **stamp(ctx)
        )
