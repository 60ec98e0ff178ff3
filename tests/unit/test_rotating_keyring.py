"""Both keys of a rotation: every ciphertext opens under either, new ones are written
under the new key, and indexes follow the key each transaction began with."""

from __future__ import annotations

import contextvars

from xueji.db.crypto import Keyring, RotatingKeyring, keyring_from

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


def test_an_imports_helper_gets_both_keys_and_the_epoch_of_its_caller() -> None:
    """A large import prepares its rows in helper processes, sent the keyring's material:
    during a rotation they must seal under the new key, as the service does, and index
    under the key the import's transaction began with."""
    ring = RotatingKeyring(OLD, NEW)
    began_before = contextvars.copy_context()
    began_before.run(ring.seen, False)
    helper = keyring_from(began_before.run(ring.material))
    sealed = helper.encrypt_many(["13800138001"], purpose="guardian.phone")[0]
    assert NEW.decrypt(sealed, purpose="guardian.phone") == "13800138001"
    record = helper.seal_many([b'{"a":"440604"}'], purpose="student.national_record")[0]
    assert NEW.decrypt(record, purpose="student.national_record") == '{"a":"440604"}'
    assert helper.lookup_index_many(["13800138001"], purpose="phone") == [
        OLD.lookup_index("13800138001", purpose="phone")
    ]
    began_after = contextvars.copy_context()
    began_after.run(ring.seen, True)
    after = keyring_from(began_after.run(ring.material))
    assert after.lookup_index("13800138001", purpose="phone") == NEW.lookup_index(
        "13800138001", purpose="phone"
    )
    assert keyring_from(OLD.material()).fingerprint == OLD.fingerprint
