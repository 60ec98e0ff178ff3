"""Both keys of a rotation: every ciphertext opens under either, new ones are written
under the new key, and indexes follow the key each transaction began with."""

from __future__ import annotations

import contextvars

from xueji.db.crypto import Keyring, RotatingKeyring

OLD, NEW = Keyring(b"the old key of sixteen+ bytes"), Keyring(b"the new key of sixteen+ bytes")


def test_both_keys_open_and_the_new_one_seals() -> None:
    ring = RotatingKeyring(OLD, NEW)
    sealed_before = OLD.encrypt("13800138001", purpose="guardian.phone")
    assert ring.decrypt(sealed_before, purpose="guardian.phone") == "13800138001"
    written = ring.encrypt("13800138002", purpose="guardian.phone")
    assert NEW.decrypt(written, purpose="guardian.phone") == "13800138002"


def test_a_transaction_keeps_the_key_it_began_with() -> None:
    ring = RotatingKeyring(OLD, NEW)
    index = {ring_: ring_.lookup_index("13800138001", purpose="phone") for ring_ in (OLD, NEW)}
    began_before = contextvars.copy_context()
    began_before.run(ring.seen, False)  # a read that began before the switch
    contextvars.copy_context().run(ring.seen, True)  # another one, after it
    assert began_before.run(ring.lookup_index, "13800138001", purpose="phone") == index[OLD]
    # a transaction beginning now, or work outside any, follows the switch
    assert ring.is_rotated
    assert (
        contextvars.copy_context().run(ring.lookup_index, "13800138001", purpose="phone")
        == index[NEW]
    )
