"""Resident identity numbers (GB 11643-1999): 6-digit region, birth date, sequence, check digit.

The check digit is ISO 7064 MOD 11-2; an odd sequence digit (17th) means male.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Chinese input methods often type full-width digits; anything else non-ASCII is rejected.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")


class IdNumberError(ValueError):
    pass


@dataclass(frozen=True)
class IdInfo:
    number: str
    region: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdInfo:
    """Validate and decode an 18-character ID number; raise IdNumberError with the reason."""
    number = raw.strip().translate(_FULL_WIDTH).upper()
    if len(number) != 18:
        raise IdNumberError(_("ID number must have 18 characters"))
    # str.isdigit() alone also accepts "²" or "٣", which int() then rejects or misreads
    if not number.isascii() or not number[:17].isdigit() or number[17] not in "0123456789X":
        raise IdNumberError(_("ID number must be 17 digits followed by a digit or X"))
    if number[:2] in {"00", "10", "20", "30", "40", "70", "80", "90"}:
        raise IdNumberError(_("ID number has an unknown region code"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(_("ID number has an impossible birth date")) from None
    if birth.year < 1890 or birth > (today or dt.date.today()):
        raise IdNumberError(_("ID number has an impossible birth date"))
    if check_digit(number[:17]) != number[17]:
        raise IdNumberError(_("ID number check digit is wrong"))
    return IdInfo(
        number=number,
        region=number[:6],
        birth_date=birth,
        sex="M" if int(number[16]) % 2 else "F",
    )


def make_id_number(region: str, birth_date: dt.date, sequence: int, sex: str) -> str:
    """Build a valid number; `sequence` 0–499 is unique in digits 15–17, sex sets 17's parity."""
    last = (sequence % 5) * 2 + (1 if sex == "M" else 0)
    first17 = f"{region}{birth_date:%Y%m%d}{sequence // 5 % 100:02d}{last}"
    return first17 + check_digit(first17)


def mask_id_number(number: str) -> str:
    return number[:3] + "*" * 11 + number[-4:] if len(number) == 18 else "*" * len(number)


def mask_phone(phone: str) -> str:
    """Hide at least four middle digits: 139****0001 for mobiles, ****5678 for short landlines."""
    if len(phone) < 7:
        return "*" * len(phone)
    head = 3 if len(phone) >= 11 else 0
    tail = min(4, len(phone) - head - 4)
    return phone[:head] + "*" * (len(phone) - head - tail) + phone[-tail:]
