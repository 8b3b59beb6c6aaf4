"""Informant identities: sealed for one lead, known elsewhere only by a pseudonym, every read logged."""

from __future__ import annotations

import base64
import re

import pytest

from domain.errors import InvalidInput
from domain.informants import InformantAccessLog, InformantCipher
from tests.domain.builders import LEAD, OTHER_LEAD
from tests.domain.gwt import XINGHE, at, ctx, event, given

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
IDENTITY = "张三 13800000000"


def full_width(text: str) -> str:
    """The text as typed with a Chinese input method in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def cipher() -> InformantCipher:
    return InformantCipher(KEY)


def test_a_sealed_identity_opens_again_for_its_lead(cipher):
    ciphertext, pseudonym = cipher.seal(f"  {IDENTITY} ", LEAD)
    assert ciphertext.startswith("v1:")
    assert "张三" not in ciphertext and "13800000000" not in ciphertext
    assert cipher.open(ciphertext, LEAD) == IDENTITY
    assert pseudonym == cipher.pseudonym(IDENTITY)


def test_sealing_the_same_identity_twice_gives_different_ciphertexts_and_the_same_pseudonym(cipher):
    first, first_ref = cipher.seal(IDENTITY, LEAD)
    second, second_ref = cipher.seal(IDENTITY, LEAD)
    assert first != second
    assert first_ref == second_ref


def test_a_sealed_identity_does_not_open_for_another_lead(cipher):
    ciphertext, _ = cipher.seal(IDENTITY, LEAD)
    with pytest.raises(ValueError, match="does not open"):
        cipher.open(ciphertext, OTHER_LEAD)


def test_a_sealed_identity_does_not_open_with_another_key(cipher):
    ciphertext, _ = cipher.seal(IDENTITY, LEAD)
    with pytest.raises(ValueError, match="does not open"):
        InformantCipher(OTHER_KEY).open(ciphertext, LEAD)


def test_an_altered_ciphertext_does_not_open(cipher):
    ciphertext, _ = cipher.seal(IDENTITY, LEAD)
    raw = bytearray(base64.b64decode(ciphertext[3:]))
    raw[-1] ^= 1
    with pytest.raises(ValueError):
        cipher.open("v1:" + base64.b64encode(bytes(raw)).decode(), LEAD)


def test_an_unknown_ciphertext_format_is_refused(cipher):
    with pytest.raises(ValueError, match="format"):
        cipher.open("v0:abc", LEAD)


def test_an_empty_identity_is_not_sealed(cipher):
    with pytest.raises(InvalidInput):
        cipher.seal("   ", LEAD)


def test_the_same_informant_always_gets_the_same_number_however_the_name_is_typed(cipher):
    pseudonym = cipher.pseudonym("Zhang  San 13800000000")
    assert re.fullmatch(r"INF-[0-9A-F]{10}", pseudonym)
    assert cipher.pseudonym(" zhang san\t13800000000 ") == pseudonym
    assert cipher.pseudonym(full_width("ZHANG SAN 13800000000")) == pseudonym
    assert cipher.pseudonym("Li Si 13900000000") != pseudonym


def test_a_pseudonym_reveals_nothing_without_the_key(cipher):
    assert InformantCipher(OTHER_KEY).pseudonym(IDENTITY) != cipher.pseudonym(IDENTITY)


@pytest.mark.parametrize("key", [b"", bytes(16), bytes(33)], ids=["empty", "16 bytes", "33 bytes"])
def test_the_key_is_32_bytes(key):
    with pytest.raises(ValueError, match="32 bytes"):
        InformantCipher(key)


def test_the_key_is_given_as_base64_text():
    text = base64.b64encode(KEY).decode()
    ciphertext, _ = InformantCipher.from_text(f" {text}\n").seal(IDENTITY, LEAD)
    assert InformantCipher(KEY).open(ciphertext, LEAD) == IDENTITY
    with pytest.raises(ValueError, match="base64"):
        InformantCipher.from_text("not base64!")
    generated = InformantCipher.generate_key_text()
    assert len(base64.b64decode(generated)) == 32


# --- the access log ----------------------------------------------------------------------------
def test_each_read_of_an_identity_is_recorded_with_who_and_why():
    log = InformantAccessLog.start(LEAD, ctx(XINGHE))
    assert log.id == InformantAccessLog.id_for(LEAD)
    log = (
        given(log)
        .when(lambda log: log.record_view(" court summons ", ctx(XINGHE, at(1), officer="wang")))
        .then(
            event(
                InformantAccessLog.IdentityViewed,
                lead_id=LEAD,
                purpose="court summons",
                timestamp=at(1),
                actor=ctx(XINGHE, officer="wang").actor,
            )
        )
        .aggregate
    )
    assert (log.lead_id, log.reads) == (LEAD, 1)


def test_the_access_log_counts_every_read_in_its_history():
    log = InformantAccessLog.start(LEAD, ctx(XINGHE))
    log.record_view("interview", ctx(XINGHE, at(1)))
    log.record_view("reward payment", ctx(XINGHE, at(2)))
    log = (
        given(log)
        .when(lambda log: log.record_view("court", ctx(XINGHE, at(3))))
        .then(InformantAccessLog.IdentityViewed)
        .aggregate
    )
    assert log.reads == 3


def test_each_lead_has_its_own_access_log():
    assert InformantAccessLog.id_for(LEAD) != InformantAccessLog.id_for(OTHER_LEAD)
