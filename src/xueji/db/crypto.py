"""Encryption at rest for sensitive values (ID and registry numbers, phones).

Each value is stored as AES-256-GCM ciphertext (random 96-bit nonce, the column's purpose
as associated data, so a ciphertext copied into another column does not decrypt). Exact
lookups use a *blind index*: HMAC-SHA256 of the value under a separate key, so the
database can find a number without ever holding it in clear.

All keys are derived from one master key with HKDF, each for one purpose only: the
encryption key, the blind-index key, and the key that links the audit log's entries
(``audit_link``), so that rewriting the audit chain needs the master key. The column
type reaches the keyring through ``install_keyring`` because SQLAlchemy types have no
request context.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from contextvars import ContextVar
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary, TypeDecorator
from sqlalchemy.engine import Dialect

_NONCE_BYTES = 12
_VERSION = b"\x01"


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


class Keyring:
    """Encryption and blind-index keys derived from one master key."""

    def __init__(self, master: bytes) -> None:
        if len(master) < 16:
            raise ValueError("the master key must be at least 16 bytes")
        self._master = master
        self._aead = AESGCM(_derive(master, b"xueji/encryption/v1"))
        self._index_key = _derive(master, b"xueji/blind-index/v1")
        self._audit_key = _derive(master, b"xueji/audit-chain/v1")
        self._fingerprint = hmac.new(
            _derive(master, b"xueji/fingerprint/v1"), b"xueji", hashlib.sha256
        ).hexdigest()[:16]

    def master_key(self) -> bytes:
        """The master key itself (the key file's new content after a rotation)."""
        return self._master

    def material(self) -> tuple[bytes, bytes | None, bool]:
        """What a helper process of a large import needs to build the same keyring
        (sent over a private pipe; a keyring does not pickle): the master key, the key
        being rotated to, and whether the caller's transaction began after the switch."""
        return self._master, None, False

    def __repr__(self) -> str:
        return "Keyring(…)"

    @property
    def fingerprint(self) -> str:
        """Names the master key without revealing it (``key_state``: the service refuses
        to start with a key that is not the database's)."""
        return self._fingerprint

    def encrypt(self, plaintext: str, *, purpose: str) -> bytes:
        return self.encrypt_bytes(plaintext.encode("utf-8"), purpose=purpose)

    def decrypt(self, blob: bytes, *, purpose: str) -> str:
        return self.decrypt_bytes(blob, purpose=purpose).decode("utf-8")

    def encrypt_bytes(self, plaintext: bytes, *, purpose: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, purpose.encode())

    def decrypt_bytes(self, blob: bytes, *, purpose: str) -> bytes:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, purpose.encode())

    def blind_index(self, value: str, *, purpose: str) -> str:
        """Hex HMAC of ``value`` (the keyed hashes of one-time codes); callers pass the
        *normalised* value."""
        message = purpose.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    def lookup_index(self, value: str, *, purpose: str) -> bytes:
        """The binary blind index a column is searched by: the HMAC's first
        ``INDEX_BYTES`` bytes; callers pass the *normalised* value."""
        message = purpose.encode() + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).digest()[:INDEX_BYTES]

    def audit_link(self, previous: str, canonical: str) -> str:
        """Hex HMAC-SHA256 of an audit entry (its canonical form) chained to the previous
        entry's link, under the key derived for the audit chain alone."""
        message = (previous + canonical).encode("utf-8")
        return hmac.new(self._audit_key, message, hashlib.sha256).hexdigest()

    def encrypt_many(self, values: list[str], *, purpose: str) -> list[bytes]:
        """``encrypt`` for a column of values (bulk import)."""
        return self.seal_many([value.encode("utf-8") for value in values], purpose=purpose)

    def seal_many(self, texts: list[bytes], *, purpose: str) -> list[bytes]:
        """``encrypt_many`` for texts encoded already (UTF-8), as polars hands a column
        over as binary faster than as text: one call for all the nonces."""
        seal, aad, size = self._aead.encrypt, purpose.encode(), _NONCE_BYTES
        nonces = os.urandom(size * len(texts))
        out = []
        for offset, text in zip(range(0, len(nonces), size), texts, strict=True):
            nonce = nonces[offset : offset + size]
            out.append(_VERSION + nonce + seal(nonce, text, aad))
        return out

    def lookup_index_many(self, values: list[str], *, purpose: str) -> list[bytes]:
        """``lookup_index`` for a column: the keyed state is computed once and copied."""
        keyed = hmac.new(self._index_key, purpose.encode() + b"\x00", hashlib.sha256)
        out = []
        for value in values:
            mac = keyed.copy()
            mac.update(value.encode("utf-8"))
            out.append(mac.digest()[:INDEX_BYTES])
        return out


class RotatingKeyring(Keyring):
    """Both keys of a rotation in progress (``XUEJI_NEW_SECRET_KEY`` beside
    ``XUEJI_SECRET_KEY``): every ciphertext decrypts under either, new ones are written
    under the new key, and blind indexes and audit links are computed under the key the
    database is indexed with — the old one until ``xueji keys rotate`` switches it over
    in its last transaction (``rotated()``; see ``xueji.db.key_state``)."""

    def __init__(self, old: Keyring, new: Keyring) -> None:  # holds two keys: no super()
        if old.fingerprint == new.fingerprint:
            raise ValueError("the new master key is the old one")
        self.old, self.new = old, new
        self._rotated = False
        #: whether the transaction of the current context began after the switch
        self._epoch: ContextVar[bool | None] = ContextVar(f"key_epoch_{id(self)}", default=None)

    def __repr__(self) -> str:
        return "RotatingKeyring(…)"

    def rotated(self) -> None:
        """The database is now indexed under the new key (seen at a transaction's
        start); from here on this process indexes and links under it, for good."""
        self._rotated = True
        self._epoch.set(True)

    def seen(self, rotated: bool) -> None:
        """What a transaction saw when it began, for the work done in its context: a
        transaction that began before the switch keeps the old key to its end, even if
        another one of this process has seen the switch meanwhile (a SQLite read keeps
        its snapshot from before it)."""
        self._epoch.set(rotated)
        if rotated:
            self._rotated = True

    def ended(self) -> None:
        """The context's transaction ended: what it saw no longer applies (a task or
        thread started from this context later must not inherit it)."""
        self._epoch.set(None)

    @property
    def is_rotated(self) -> bool:
        return self._rotated

    @property
    def current(self) -> Keyring:
        """The key the database's indexes and audit links are under, as the transaction
        of this context saw it when it began (else as this process last saw it)."""
        seen = self._epoch.get()
        return self.new if (self._rotated if seen is None else seen) else self.old

    @property
    def fingerprint(self) -> str:
        return self.current.fingerprint

    def master_key(self) -> bytes:
        return self.current.master_key()

    def material(self) -> tuple[bytes, bytes | None, bool]:
        """Both keys: a helper writes under the new key, as this process does, and
        indexes under the key this caller's transaction began with."""
        return self.old.master_key(), self.new.master_key(), self.current is self.new

    def encrypt_bytes(self, plaintext: bytes, *, purpose: str) -> bytes:
        return self.new.encrypt_bytes(plaintext, purpose=purpose)

    def encrypt_many(self, values: list[str], *, purpose: str) -> list[bytes]:
        return self.new.encrypt_many(values, purpose=purpose)

    def seal_many(self, texts: list[bytes], *, purpose: str) -> list[bytes]:
        return self.new.seal_many(texts, purpose=purpose)

    def decrypt_bytes(self, blob: bytes, *, purpose: str) -> bytes:
        current = self.current
        first, second = (current, self.old) if current is self.new else (current, self.new)
        try:
            return first.decrypt_bytes(blob, purpose=purpose)
        except InvalidTag:
            return second.decrypt_bytes(blob, purpose=purpose)

    def blind_index(self, value: str, *, purpose: str) -> str:
        return self.current.blind_index(value, purpose=purpose)

    def lookup_index(self, value: str, *, purpose: str) -> bytes:
        return self.current.lookup_index(value, purpose=purpose)

    def lookup_index_many(self, values: list[str], *, purpose: str) -> list[bytes]:
        return self.current.lookup_index_many(values, purpose=purpose)

    def audit_link(self, previous: str, canonical: str) -> str:
        return self.current.audit_link(previous, canonical)


def keyring_from(material: tuple[bytes, bytes | None, bool]) -> Keyring:
    """The keyring ``Keyring.material`` describes."""
    master, new, rotated = material
    if new is None:
        return Keyring(master)
    ring = RotatingKeyring(Keyring(master), Keyring(new))
    ring.seen(rotated)
    return ring


_keyring: Keyring | None = None


def install_keyring(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise RuntimeError("no keyring installed: call install_keyring() at start-up")
    return _keyring


def blind_index(value: str, *, purpose: str) -> str:
    return keyring().blind_index(value, purpose=purpose)


#: Blind-index purposes shared by the registry and the platform: a registry number (or a
#: phone) indexed by one side matches the other's without decrypting either.
REGISTRY_NO_PURPOSE = "registry_no"
PHONE_PURPOSE = "phone"
#: An account is found at sign-in by the blind index of its normalised sign-in name (a
#: parent's is a phone, which is never stored in clear).
SIGN_IN_PURPOSE = "account.sign_in"
#: Throttle buckets are stored under a keyed hash of their key (which names an account
#: or a client address).
THROTTLE_PURPOSE = "throttle"


#: Lookup indexes are stored binary: 16 bytes (128 bits of HMAC-SHA256, no collision in
#: any registry's lifetime) instead of 64 hex characters — a quarter of the index pages
#: a term-start import writes.
INDEX_BYTES = 16


def registry_no_index(registry_no: str) -> bytes:
    """The blind index of a normalised registry number (``G`` + 18 characters…)."""
    return keyring().lookup_index(registry_no, purpose=REGISTRY_NO_PURPOSE)


def phone_index(phone: str) -> bytes:
    """The blind index of a normalised mobile number (11 digits)."""
    return keyring().lookup_index(phone, purpose=PHONE_PURPOSE)


def sign_in_index(name: str) -> bytes:
    """The blind index of a normalised sign-in name (``accounts.sign_in_index``)."""
    return keyring().lookup_index(name, purpose=SIGN_IN_PURPOSE)


def throttle_key(key: str) -> str:
    """What a throttle bucket is stored under: a keyed hash of ``acct:…``/``addr:…``."""
    return keyring().blind_index(key, purpose=THROTTLE_PURPOSE)


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; ``purpose`` binds ciphertexts to their column."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else keyring().encrypt(value, purpose=self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring().decrypt(bytes(value), purpose=self.purpose)
