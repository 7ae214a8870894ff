"""Two-step sign-in codes: the RFCs' own test vectors, drift, one use only, and what a person types."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseflow.domain.totp import grouped, hotp, matching_step, new_secret, normalise_code, provisioning_uri, step_at

#: RFC 4226 Appendix D and RFC 6238 Appendix B: the ASCII secret "12345678901234567890"
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()


def test_hotp_matches_rfc_4226_appendix_d() -> None:
    expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
    assert [hotp(RFC_SECRET, counter) for counter in range(10)] == expected


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"), (2000000000, "69279037")],
)
def test_totp_matches_rfc_6238_appendix_b(unix_time: int, eight_digits: str) -> None:
    moment = datetime.fromtimestamp(unix_time, UTC)
    assert hotp(RFC_SECRET, step_at(moment), digits=8) == eight_digits
    assert matching_step(RFC_SECRET, eight_digits[-6:], moment) == step_at(moment)


def test_a_code_from_the_step_either_side_is_accepted_but_not_two_away() -> None:
    now = datetime(2026, 12, 3, 9, 0, 15, tzinfo=UTC)
    secret = new_secret()
    for offset in (-1, 0, 1):
        assert matching_step(secret, hotp(secret, step_at(now) + offset), now) == step_at(now) + offset
    assert matching_step(secret, hotp(secret, step_at(now) + 2), now) is None
    assert matching_step(secret, hotp(secret, step_at(now - timedelta(minutes=5))), now) is None


def test_a_code_is_good_once() -> None:
    now = datetime(2026, 12, 3, 9, 0, 15, tzinfo=UTC)
    secret = new_secret()
    code = hotp(secret, step_at(now))
    used = matching_step(secret, code, now)
    assert used == step_at(now)
    assert matching_step(secret, code, now, after_step=used) is None
    assert matching_step(secret, code, now + timedelta(seconds=20), after_step=used) is None
    assert matching_step(secret, hotp(secret, used + 1), now + timedelta(seconds=30), after_step=used) == used + 1


def test_the_secret_is_160_random_bits_and_fresh_each_time() -> None:
    first, second = new_secret(), new_secret()
    assert first != second
    assert len(base64.b32decode(first)) == 20
    assert grouped(first).replace(" ", "") == first and len(grouped(first).split()) == 8


def test_the_provisioning_address_names_the_issuer_and_user() -> None:
    uri = provisioning_uri("JBSWY3DPEHPK3PXP", "dsl@oakfield")
    assert uri.startswith("otpauth://totp/Caseflow%3Adsl%40oakfield?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri and "issuer=Caseflow" in uri and "digits=6" in uri and "period=30" in uri


@pytest.mark.parametrize(("typed", "code"), [("123456", "123456"), ("123 456", "123456"), (" 123-456 ", "123456")])
def test_a_code_may_be_typed_as_apps_show_it(typed: str, code: str) -> None:
    assert normalise_code(typed) == code


@given(st.text(max_size=20))
def test_anything_typed_is_six_ascii_digits_or_refused(text: str) -> None:
    code = normalise_code(text)
    assert code is None or (len(code) == 6 and code.isascii() and code.isdigit())
    moment = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    found = matching_step("JBSWY3DPEHPK3PXP", text, moment)
    assert found is None or hotp("JBSWY3DPEHPK3PXP", found) == code
