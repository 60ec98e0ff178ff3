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

#: Each field's key in a stored record. A record is written for every student of a roster,
#: and the fields' names were half of a typical one (430 bytes with names, 250 with
#: these keys, before encryption), so each field is stored under a letter. A key, once
#: given, is never changed or given to another field: the records stored keep it; a new
#: field takes a new one. Records stored before name their fields in full and read as
#: ever (``load``).
STORED_KEYS: dict[str, str] = {
    "birthplace": "a",
    "native_place": "b",
    "ethnicity": "c",
    "nationality": "d",
    "document_type": "e",
    "document_no": "f",
    "overseas": "g",
    "political": "h",
    "health": "i",
    "name_pinyin": "j",
    "former_name": "k",
    "document_expiry": "l",
    "hukou_region": "m",
    "hukou_type": "n",
    "talent": "o",
    "aux_no": "p",
    "class_no": "q",
    "admission_month": "r",
    "admission_mode": "s",
    "study_mode": "t",
    "student_source": "u",
    "address": "v",
    "mail_address": "w",
    "home_address": "x",
    "contact_phone": "y",
    "postcode": "z",
    "email": "A",
    "only_child": "B",
    "preschool": "C",
    "left_behind": "D",
    "migrant_child": "E",
    "orphan": "F",
    "martyr_child": "G",
    "inclusive": "H",
    "disability": "I",
    "needs_aid": "J",
    "one_subsidy": "K",
    "distance": "L",
    "commute": "M",
    "school_bus": "N",
}
#: a family member's field: the member's number and this letter (``1a``: 成员1姓名)
MEMBER_STORED_KEYS: dict[str, str] = {
    "name": "a",
    "relation": "b",
    "relation_note": "c",
    "guardian": "d",
    "phone": "e",
    "document_type": "f",
    "document_no": "g",
    "ethnicity": "h",
    "address": "i",
    "hukou_region": "j",
    "workplace": "k",
    "position": "l",
}

#: a record column → its key in a stored record
KEY_OF = {
    column: STORED_KEYS[column]
    if column in STORED_KEYS
    else column[1] + MEMBER_STORED_KEYS[column.split("_", 1)[1]]
    for column in RECORD_COLUMNS
}
#: a stored key → its column; a column's full name too (a record stored before)
COLUMN_OF = {key: column for column, key in KEY_OF.items()} | {c: c for c in RECORD_COLUMNS}


def ciphers(good: pl.DataFrame) -> tuple[list[bytes | None], list[bytes | None]]:
    """The two ciphertexts of each checked row (``checks.with_record``: the normalised
    values are ``<column>_n``); None for a file in the template's layout, which has no
    national record."""
    if "document_type_n" not in good.columns:
        return [None] * good.height, [None] * good.height
    ring = keyring()
    found: list[list[bytes | None]] = []
    for columns, purpose in ((PLAIN_COLUMNS, RECORD_PURPOSE), (SECRET_COLUMNS, SENSITIVE_PURPOSE)):
        # a column empty throughout the chunk (``checks.column_shapes``) adds nothing
        filled = [c for c in columns if good[f"{c}_n"].null_count() < good.height]
        texts = (
            good.select(_json_object(filled).cast(pl.Binary).alias("json"))["json"].to_list()
            if filled
            else [b"{}"] * good.height
        )
        found.append(list(ring.seal_many(texts, purpose=purpose)))
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
                pl.lit(f'"{KEY_OF[column]}":"') + value + pl.lit('"')
            )
        )
    return pl.lit("{") + pl.concat_str(members, separator=",", ignore_nulls=True) + pl.lit("}")


def load(text: str | None) -> dict[str, str]:
    """A stored record (decrypted) as column → value, its empty fields left out (an
    import stores them as null)."""
    if not text:
        return {}
    found = json.loads(text)
    return {
        COLUMN_OF.get(key, key): str(value)
        for key, value in found.items()
        if value not in (None, "")
    }


def dump(values: dict[str, str]) -> str:
    return json.dumps(
        {KEY_OF[column]: value for column, value in values.items() if value},
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
