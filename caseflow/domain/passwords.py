"""Whether a password is too easy to guess (ASVS 4.0.3 V2.1.7; 5.0 V6.2.4, V6.2.11): one of the passwords most
often found in leaks, such a password with a little added before or after it ("password1234"), characters
repeated or run through in order ("aaaaaaaaaaaa", "123456789012", "qwertyuiop12"), or words anyone who knows
the account would try (the person's name, their school, this service, the demo's published password).

No rules about kinds of character, which ASVS 5.0 forbids (V6.2.5): a long passphrase of ordinary words passes.
The measure is how many characters an attacker could not simply predict from the ones before them
(``surprises``): "password1234" is the common "password" and four characters that each follow the one before.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources
from itertools import groupby, pairwise

#: the demo's password, which the README publishes: refused for every account but the demo's own
DEMO_PASSWORD = "caseflow-demo-2026"
#: the words anyone guessing at a Caseflow password tries first, whoever the account is
SERVICE_WORDS = ("caseflow", "demo")
#: fewer unpredictable characters than this, once the common or personal part is taken away, is too few:
#: six is about what an attacker with the top 10,000 passwords and a few guesses at each affix would go through
MIN_SURPRISES = 6

TOO_COMMON = "This password is too common: choose another."
TOO_PREDICTABLE = (
    "This password is too easy to guess: it repeats characters or runs through them in order (like aaaa or 1234). Choose another."
)
ABOUT_THEM = "This password is too easy to guess: it is mostly a name, a school, or Caseflow's. Choose another."

#: keys next to each other on a UK keyboard, row by row: "qwerty" runs through them as "abcdef" does the alphabet
_ROWS = ("`1234567890-=", "qwertyuiop[]", "asdfghjkl;'#", "\\zxcvbnm,./")
_NEIGHBOURS = frozenset(pair for row in _ROWS for a, b in pairwise(row) for pair in (a + b, b + a))
#: characters written for letters ("p4ssw0rd"): each stands for one letter, so positions still match
_LEET = str.maketrans("0134578@$!", "oieastbasi")
#: what people put between the words of a password ("pass-word 1234")
_SEPARATORS = " -_."


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (``caseflow/data/common_passwords.txt``: its source and licence are at
    its head), with the demo's password, read once."""
    text = resources.files("caseflow").joinpath("data/common_passwords.txt").read_text(encoding="utf-8")
    listed = {line for line in text.splitlines() if line and not line.startswith("#")}
    return frozenset({*listed, DEMO_PASSWORD})


def guessable(password: str, context: Iterable[str] = ()) -> str | None:
    """Why ``password`` is too easy to guess, in words for the field; None if it is not. ``context``: words about
    the account (its person's name, their schools): refused as the bulk of a password, not as a part of one."""
    text = password.casefold()
    forms = _forms(text)
    if surprises([text]) < MIN_SURPRISES:
        return TOO_PREDICTABLE
    if _common_at_heart(forms):
        return TOO_COMMON
    words = {w for w in (*_words(context), *SERVICE_WORDS) if len(w) >= 3}
    if any(surprises(_left_over(shown, matched, words)) < MIN_SURPRISES for shown, matched in forms):
        return ABOUT_THEM
    return None


def surprises(pieces: Iterable[str]) -> int:
    """How many characters of the pieces could not be foretold from those before them: one that repeats the one
    before, or follows it in the alphabet, in the digits or along a row of the keyboard, costs nothing, and a
    run of three or more that copies an earlier run costs one ("abcabcabcabc" is two surprises)."""
    return sum(_surprises_in(piece) for piece in pieces)


def _surprises_in(text: str) -> int:
    count, at = 0, 0
    while at < len(text):
        copied = _longest_copy(text, at)
        if copied >= 3:
            count, at = count + 1, at + copied
            continue
        if not (at and _follows(text[at - 1], text[at])):
            count += 1
        at += 1
    return count


def _longest_copy(text: str, at: int) -> int:
    """The longest run from ``at`` that repeats one starting earlier (the two may overlap: "aaaa")."""
    best = 0
    for start in range(at):
        length = 0
        while at + length < len(text) and text[start + length] == text[at + length]:
            length += 1
        best = max(best, length)
    return best


def _follows(before: str, after: str) -> bool:
    if before == after or before + after in _NEIGHBOURS:
        return True
    return before.isalnum() and after.isalnum() and abs(ord(before) - ord(after)) == 1


def _forms(text: str) -> list[tuple[str, str]]:
    """The password as typed and without its separators, each with the letters its digits and symbols stand
    for: (what is measured, what is matched), of one length, so a word found in one is cut from the other."""
    bare = "".join(c for c in text if c not in _SEPARATORS)
    shown_forms = dict.fromkeys((text, bare))
    return [(shown, matched) for shown in shown_forms for matched in dict.fromkeys((shown, shown.translate(_LEET)))]


def _common_at_heart(forms: list[tuple[str, str]]) -> bool:
    """A common password with little around it: some entry of the list, taken out, leaves too few surprises."""
    common = common_passwords()
    longest = max(map(len, common))
    for shown, matched in forms:
        found = {
            matched[start : start + length]
            for start in range(len(matched))
            for length in range(4, min(longest, len(matched) - start) + 1)
            if matched[start : start + length] in common
        }
        if any(surprises(_left_over(shown, matched, [entry])) < MIN_SURPRISES for entry in found):
            return True
    return False


def _left_over(shown: str, matched: str, words: Iterable[str]) -> list[str]:
    """The pieces of ``shown`` left once every place ``matched`` has one of ``words`` is cut out."""
    cut = [False] * len(shown)
    for word in words:
        start = matched.find(word)
        while start != -1:
            cut[start : start + len(word)] = [True] * len(word)
            start = matched.find(word, start + 1)
    kept = groupby(zip(shown, cut, strict=True), key=lambda pair: pair[1])
    return ["".join(c for c, _ in run) for is_cut, run in kept if not is_cut]


def _words(context: Iterable[str]) -> set[str]:
    """Each word of each phrase, and each phrase run together ("Alex Brown" gives alex, brown and alexbrown)."""
    found: set[str] = set()
    for phrase in context:
        words = "".join(c if c.isalnum() else " " for c in phrase.casefold()).split()
        found.update(words)
        found.add("".join(words))
    return found
