"""The national record as stored: two JSON objects of column → stored value (a code or
text; an empty field is null or absent), each encrypted — the record every reader of the
student may see, and its sensitive categories (``fields.SENSITIVE_COLUMNS``)."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from xueji.db.crypto import keyring
from xueji.registry.national.fields import RECORD_COLUMNS, SENSITIVE_COLUMNS, field_of
from xueji.registry.national.models import RECORD_PURPOSE, SENSITIVE_PURPOSE, NationalRecord

PLAIN_COLUMNS = [column for column in RECORD_COLUMNS if column not in SENSITIVE_COLUMNS]
SECRET_COLUMNS = [column for column in RECORD_COLUMNS if column in SENSITIVE_COLUMNS]


def ciphers(good: pl.DataFrame) -> tuple[list[bytes | None], list[bytes | None]]:
    """The two ciphertexts of each checked row (``checks.with_record``: the normalised
    values are ``<column>_n``); None for a file in the template's layout, which has no
    national record."""
    if "document_type_n" not in good.columns:
        return [None] * good.height, [None] * good.height
    ring = keyring()
    found: list[list[bytes | None]] = []
    for columns, purpose in ((PLAIN_COLUMNS, RECORD_PURPOSE), (SECRET_COLUMNS, SENSITIVE_PURPOSE)):
        texts = good.select(_json_object(columns).alias("json"))["json"].to_list()
        found.append(list(ring.encrypt_many(texts, purpose=purpose)))
    return found[0], found[1]


def _json_object(columns: list[str]) -> pl.Expr:
    """Each row's JSON object of its non-empty ``<column>_n`` values, built as text:
    a roster fills a third of the form, and leaving the empty fields out halves what is
    encrypted, staged and stored (``json.loads`` reads it back like any JSON). Values
    hold no control character (``checks.with_record`` refuses them), so a backslash and a
    quote are all there is to escape, and a code has neither."""
    members = []
    for column in columns:
        value = pl.col(f"{column}_n")
        if field_of(column).kind not in ("code", "region"):
            value = value.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
                '"', '\\"', literal=True
            )
        members.append(
            pl.when(pl.col(f"{column}_n").fill_null("") != "").then(
                pl.lit(f'"{column}":"') + value + pl.lit('"')
            )
        )
    return pl.lit("{") + pl.concat_str(members, separator=",", ignore_nulls=True) + pl.lit("}")


def load(text: str | None) -> dict[str, str]:
    """A stored record (decrypted) as column → value, its empty fields left out (an
    import stores them as null)."""
    if not text:
        return {}
    found = json.loads(text)
    return {str(key): str(value) for key, value in found.items() if value not in (None, "")}


def dump(values: dict[str, str]) -> str:
    return json.dumps(
        {key: value for key, value in values.items() if value},
        ensure_ascii=False,
        separators=(",", ":"),
    )


def staged(record_cipher: bytes, sensitive_cipher: bytes) -> dict[str, str]:
    """A staged row's national record (both ciphertexts) as column → value."""
    ring = keyring()
    return load(ring.decrypt(record_cipher, purpose=RECORD_PURPOSE)) | load(
        ring.decrypt(sensitive_cipher, purpose=SENSITIVE_PURPOSE)
    )


def stored(national: NationalRecord | None) -> dict[str, str]:
    """A student's national record as column → value (empty without one)."""
    if national is None:
        return {}
    return load(national.record) | load(national.sensitive)


def record_of(session: Session, student_id: int) -> NationalRecord | None:
    """The student's national record, if they have one."""
    return session.scalar(select(NationalRecord).where(NationalRecord.student_id == student_id))


def store(session: Session, student_id: int, values: dict[str, str], now: dt.datetime) -> None:
    """Write the student's national record (a new one, or over the one they have)."""
    national = record_of(session, student_id)
    plain = dump({k: v for k, v in values.items() if k in PLAIN_COLUMNS})
    secret = dump({k: v for k, v in values.items() if k in SECRET_COLUMNS})
    if national is None:
        session.add(
            NationalRecord(student_id=student_id, record=plain, sensitive=secret, updated_at=now)
        )
        return
    national.record, national.sensitive, national.updated_at = plain, secret, now
