"""Policy numbers (days, test days, thresholds) live in profiles, not in business code.

Scans every module of the project except the ones that only parse and present (views, API
handlers, forms, migrations) for literals that look like a policy rule:
`timedelta(days=7)`, `clean_days=5`, `days_since >= 14`. Comments and strings are ignored.
A literal that truly is not policy goes into ALLOWED with the reason.
"""

import io
import re
import tokenize
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "fangkong"
# Modules that parse and present; what they show comes from the modules scanned.
NOT_SCANNED = re.compile(r"(^|/)(views|api|forms|urls|admin)(_\w+)?\.py$|(^|/)migrations/")

# Numbers that 2021–2022 policy documents use for days, hours, tests and Ct values.
POLICY_NUMBERS = {3, 4, 5, 7, 10, 14, 21, 24, 28, 35}
NUMBER = r"\d+(?:\.\d+)?"
COMPARISON = r"(?<![=!<>])(?:==|!=|<=|>=|<|>)(?![=<>])"
SUSPICIOUS = [
    # a period of days/weeks/hours other than "the next day"
    re.compile(rf"timedelta\([^)]*\b(?:days|weeks|hours)\s*=\s*(?P<n>{NUMBER})"),
    # something named …day(s)/…hours set or passed a literal: days=7, clean_days=5
    re.compile(rf"\b\w*(?:days?|hours)\s*=(?!=)\s*(?P<n>{NUMBER})\b"),
    # comparisons with a policy-looking number, on either side: `== 14`, `7 <= n`
    re.compile(rf"{COMPARISON}\s*(?P<n>{NUMBER})\b"),
    re.compile(rf"(?<![\w.])(?P<n>{NUMBER})\s*{COMPARISON}"),
]

# (path relative to src/fangkong, the offending code as it reads) → why it is not policy.
# Example: ("people/selectors.py", "if len(q) == 14:"): "14 is the length of a …",
ALLOWED: dict[tuple[str, str], str] = {
    ("demo/clock.py", "return day.weekday() >= 5"): "Saturday and Sunday are weekday 5 and 6",
    ("demo/clock.py", "return day.replace(year=day.year - years, day=28)"): (
        "29 February a leap year back is 28 February"
    ),
    ("demo/people.py", "every = 28 if weeks < 28 else 14 if weeks < 36 else 7"): (
        "the demo city's antenatal visits: every 4 weeks, then 2, then weekly (obstetrics)"
    ),
    ("demo/response.py", "since = clock.as_of - dt.timedelta(days=3)"): (
        "the demo picks the last three days' cases to draw a zone around; no rule is applied"
    ),
    (
        "epi/finding/engine.py",
        "if len(ids) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024:",
    ): "the engine's choice of a dense id table (memory against speed)",
    ("people/idnumber.py", "if len(phone) < 7:"): "a phone number has at least 7 digits",
    (
        "people/names.py",
        "parts = _surname_pinyin(name) if len(name) <= 4 else [_char_pinyin(c) for c in name]",
    ): "Chinese names of up to 4 characters are read surname first",
    ("zones/geometry.py", "if len(points) < 4:"): "a closed ring has at least 4 points",
}


def code_only(source: str) -> list[str]:
    """The source's lines with comments and string contents blanked, so prose never matches."""
    lines = [list(line) for line in source.splitlines()]
    blank = {tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in blank:
            continue
        (r0, c0), (r1, c1) = tok.start, tok.end
        for row in range(r0, r1 + 1):
            line = lines[row - 1]
            start = c0 if row == r0 else 0
            end = c1 if row == r1 else len(line)
            line[start:end] = " " * (end - start)
    return ["".join(line) for line in lines]


def is_suspicious(number: str, pattern_index: int) -> bool:
    value = float(number)
    if pattern_index < 2:
        return value not in (0, 1)  # 0 or 1 day is arithmetic, not a rule
    return value in POLICY_NUMBERS


def findings(source: str) -> list[tuple[int, str]]:
    out = []
    for lineno, line in enumerate(code_only(source), start=1):
        for index, pattern in enumerate(SUSPICIOUS):
            if any(is_suspicious(m["n"], index) for m in pattern.finditer(line)):
                out.append((lineno, line.strip()))
                break
    return out


def scanned_files() -> list[Path]:
    return sorted(
        p for p in SRC.rglob("*.py") if not NOT_SCANNED.search(p.relative_to(SRC).as_posix())
    )


def test_there_are_services_and_selectors_to_scan():
    names = {p.relative_to(SRC).as_posix() for p in scanned_files()}
    assert {"people/services.py", "people/selectors.py", "policy/services.py"} <= names


def test_no_policy_numbers_in_services_or_selectors():
    offenders = []
    for path in scanned_files():
        rel = path.relative_to(SRC).as_posix()
        for lineno, code in findings(path.read_text("utf-8")):
            if (rel, code) not in ALLOWED:
                offenders.append(f"{rel}:{lineno}: {code}")
    assert not offenders, (
        "policy-looking numbers in business code; read them from the active policy profile "
        "(fangkong.policy.accessor.current()) or, if they are not policy, add them to ALLOWED "
        "with the reason:\n  " + "\n  ".join(offenders)
    )


def test_every_allowed_exception_still_exists_and_has_a_reason():
    for (rel, code), reason in ALLOWED.items():
        assert reason.strip(), (rel, code)
        source = (SRC / rel).read_text("utf-8")
        assert code in [c for _, c in findings(source)], f"stale ALLOWED entry: {rel}: {code}"


@pytest.mark.parametrize(
    "line",
    [
        "ends = start + dt.timedelta(days=7)",
        "ends = start + timedelta(hours=24)",
        "deadline = timedelta(weeks=2)",
        "zone_may_downgrade(zone, clean_days=5)",
        "days = 14",
        "if days_clean >= 7:",
        "if since.days == 14:",
        "if ct < 35.0:",
        "if 5 <= days_clean:",
        "quarantine_start(person=p, days=10)",
    ],
)
def test_scanner_catches_hard_coded_policy(line):
    assert findings(line + "\n") == [(1, line)]


@pytest.mark.parametrize(
    "line",
    [
        "ends = start + dt.timedelta(days=measure.total_days)",
        "tomorrow = today + timedelta(days=1)",
        "recent = now - timedelta(minutes=5)",
        "if recurrence_days < 1:",
        "if len(q) == 11 and q.startswith('1'):",
        "if not -90 <= lat <= 90:",
        "x = 7  # seven, but a comment: '7 days'",
        "label = 'quarantine for 7 days == 14'",
        "text = f'{n} days, tested on day 5 <= 7'",
        "if days == rules.zones.rules[0].clean_days:",
        "value = field7 == name35",
    ],
)
def test_scanner_leaves_non_policy_code_alone(line):
    assert findings(line + "\n") == []


def test_scanner_ignores_numbers_inside_docstrings():
    source = '"""Close contacts:\nif days >= 7 then release."""\nx = 1\n'
    assert findings(source) == []
