"""Unique Pupil Numbers: the DfE check-letter algorithm (GDSC UPN v2.0).

Characters 2-13 are weighted by their position (2..13), a temporary UPN's final
letter counts by its index in the 23-letter alphabet, and the sum modulo 23
picks the check letter. I, O and S are never used.
"""

from __future__ import annotations

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"


class UpnError(ValueError):
    """A UPN that is not well formed or whose check letter is wrong."""


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    total = sum(weight * (int(char) if char.isdigit() else ALPHABET.index(char)) for weight, char in enumerate(body, start=2))
    return ALPHABET[total % 23]


def normalise_upn(value: str) -> str:
    """Return the UPN in canonical form, or raise ``UpnError`` saying what is wrong."""
    if not isinstance(value, str):
        raise UpnError("A UPN must be text.")
    upn = value.strip().upper()
    if len(upn) != 13:
        raise UpnError(f"A UPN has 13 characters; this has {len(upn)}.")
    if upn[0] not in ALPHABET:
        raise UpnError("Character 1 must be a check letter (A-Z, never I, O or S).")
    if not upn[1:12].isdigit() or not upn[1:12].isascii():
        raise UpnError("Characters 2-12 must all be digits.")
    if not (upn[12].isdigit() and upn[12].isascii()) and upn[12] not in ALPHABET:
        raise UpnError("Character 13 must be a digit, or a letter other than I, O or S for a temporary UPN.")
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        raise UpnError(f"Wrong check letter: for {upn[1:]} it should be {expected}, not {upn[0]}.")
    return upn


def is_valid_upn(value: str) -> bool:
    try:
        normalise_upn(value)
    except UpnError:
        return False
    return True


def is_temporary(upn: str) -> bool:
    return normalise_upn(upn)[12].isalpha()
