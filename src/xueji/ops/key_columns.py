"""What a master key rotation moves (``key_rotation``): every column of ciphertexts,
every column of blind indexes and the values each is computed from, and the tables that
hold only keyed hashes of values stored nowhere. A test fails when a new keyed column is
missing here."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from sqlalchemy import text
from sqlalchemy.orm import Session

from xueji.db.crypto import PHONE_PURPOSE, REGISTRY_NO_PURPOSE, SIGN_IN_PURPOSE, RotatingKeyring
from xueji.domain.errors import XuejiError


@dataclass(frozen=True, slots=True)
class Sealed:
    """A column of ciphertexts, and the purpose they were sealed for."""

    table: str
    column: str
    purpose: str
    #: the primary key, which the column is walked in the order of
    key: str = "id"
    #: whether that key is a number (progress is stored as text)
    numbered: bool = True

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def after(self, last_key: str) -> int | str:
        """The stored progress as a value of the key column (``""``: from the start)."""
        if self.numbered:
            return int(last_key or 0)
        return last_key


#: every column of ciphertexts but the audit log's payloads (re-sealed with the chain)
SEALED = (
    Sealed("students", "registry_no", "student.registry_no"),
    Sealed("guardians", "phone", "guardian.phone"),
    Sealed("student_accounts", "registry_no", "student_account.registry_no"),
    Sealed("parent_accounts", "phone", "parent.phone"),
    Sealed("phone_change_applications", "phone", "application.phone"),
    Sealed("import_reports", "content", "import.report", key="token", numbered=False),
    Sealed("national_records", "record", "student.national_record", key="student_id"),
    Sealed("national_records", "sensitive", "student.national_sensitive", key="student_id"),
    Sealed("registry_no_changes", "old_registry_no", "student.former_registry_no"),
)

#: every column of blind indexes, by the purpose its values are indexed for
INDEXED = (
    ("students", "registry_no_index", REGISTRY_NO_PURPOSE),
    ("student_accounts", "registry_index", REGISTRY_NO_PURPOSE),
    ("student_accounts", "active_registry_index", REGISTRY_NO_PURPOSE),
    ("archive_entries", "registry_index", REGISTRY_NO_PURPOSE),
    ("guardians", "phone_index", PHONE_PURPOSE),
    ("parent_accounts", "phone_index", PHONE_PURPOSE),
    ("accounts", "sign_in_index", SIGN_IN_PURPOSE),
    ("registry_no_changes", "old_index", REGISTRY_NO_PURPOSE),
)


@dataclass(frozen=True, slots=True)
class Source:
    """A column of ciphertexts whose values the indexes of ``purposes`` are computed
    from, beside the row's own index of them (``index``)."""

    sealed: Sealed
    index: str
    purposes: tuple[str, ...]


SOURCES = {
    source.sealed.name: source
    for source in (
        Source(SEALED[0], "registry_no_index", (REGISTRY_NO_PURPOSE,)),
        Source(SEALED[1], "phone_index", (PHONE_PURPOSE,)),
        Source(SEALED[2], "registry_index", (REGISTRY_NO_PURPOSE,)),
        # a parent signs in with the phone; anyone else with a username kept in clear
        Source(SEALED[3], "phone_index", (PHONE_PURPOSE, SIGN_IN_PURPOSE)),
        Source(SEALED[-1], "old_index", (REGISTRY_NO_PURPOSE,)),
    )
}

#: tables holding only keyed hashes of values that are stored nowhere (one-time codes,
#: throttle counters): they cannot move to the new key and are emptied
DISCARDED = ("sms_codes", "activation_codes", "auth_throttle")


def store(session: Session, sealed: Sealed, changes: list[dict[str, object]]) -> None:
    """New ciphertexts, each only over the one read: on PostgreSQL a request may have
    rewritten the row meanwhile (under the new key already)."""
    if changes:
        key, column, table = sealed.key, sealed.column, sealed.table
        session.execute(
            text(f"UPDATE {table} SET {column} = :new WHERE {key} = :id AND {column} = :old"),
            changes,
        )


def moved(
    ring: RotatingKeyring, blob: bytes, sealed: Sealed, row_id: object
) -> tuple[bytes, bytes | None]:
    """The value, and its ciphertext under the new key (None if it already is)."""
    try:
        return ring.new.decrypt_bytes(blob, purpose=sealed.purpose), None
    except InvalidTag:
        pass
    try:
        plain = ring.old.decrypt_bytes(blob, purpose=sealed.purpose)
    except InvalidTag:
        raise XuejiError(
            f"{sealed.name} 第 {row_id} 行的密文两把密钥都解不开（数据已损坏）：轮换已停止，"
            "请从备份恢复这一行后再运行",
            code="KEY_ROTATION_UNREADABLE",
        ) from None
    return plain, ring.new.encrypt_bytes(plain, purpose=sealed.purpose)
