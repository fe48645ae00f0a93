"""What a card records about its holder besides the subject: the ID card type and the age band,
both read off the ID number at issue (the kiosk sends them with each tap, as for a card).

Layouts as in readers/idnumber.py (``verifier`` may not import ``readers``): 18 characters
starting 81/82/83 are Hong Kong/Macao/Taiwan residence permits, starting 9 the 2023 foreigner
permanent residence card, other 18-character numbers resident cards; all of them carry the birth
date in characters 7–14. The 15-character 2017 foreigner number carries none, so its age band is
given by the operator.
"""

from __future__ import annotations

from datetime import date

HKMT_PREFIXES = ("81", "82", "83")


class HolderError(ValueError):
    """The holder's age band cannot be told; the message says which option gives it."""


def card_type_of(number: str) -> str:
    """The card type of a well-formed, upper-cased ID number."""
    if len(number) == 15:
        return "foreign_permanent"
    if number.startswith("9"):
        return "foreign_permanent_2023"
    return "hkmt_residence" if number.startswith(HKMT_PREFIXES) else "resident"


def age_band_of(number: str, today: date, given: str | None = None) -> str:
    """``0-17``, ``18-59`` or ``60+`` on ``today``: from the birth date the number carries, or
    ``given`` (required for the 15-character number, which carries none)."""
    if len(number) != 18:
        if given is None:
            raise HolderError(
                "--age-band: a 15-character foreigner number carries no birth date; give the "
                "holder's age band (0-17, 18-59 or 60+)"
            )
        return given
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise HolderError("ID_NUMBER: characters 7–14 are not a real birth date") from None
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if age < 18:
        return "0-17"
    return "18-59" if age < 60 else "60+"
