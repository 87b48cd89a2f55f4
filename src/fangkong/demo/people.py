"""Households, residents, key persons, needs and venues of the demo city.

`Populator` fills one unit (or one grid's venues) at a time and appends plain tuples
to its row buffers; the caller flushes them with `copy_rows`. Everything comes from
one seeded random stream in tree order, so the same N and seed give the same rows.

ID numbers are unique by construction: for each (region, birth date, sex) a counter
walks the 500 possible sequence codes in a fixed permutation (make_id_number's
`sequence` 0–499); a full day moves the birth date one day earlier. Six districts ×
~36,500 birth dates × 2 sexes × 500 leave room for far more than 10M people.
"""

import datetime as dt
import random
from array import array
from collections.abc import Callable
from typing import Any

from fangkong.demo import data
from fangkong.demo.tree import Node
from fangkong.people.idnumber import CHECK_CHARS, WEIGHTS
from fangkong.people.models import KeyCategory, NeedKind, Relation
from fangkong.people.names import pinyin_of

HOUSEHOLD_FIELDS = ["id", "code", "division", "division_key", "address"]
RESIDENT_FIELDS = [
    "id",
    "id_number",
    "name",
    "name_initials",
    "name_pinyin",
    "sex",
    "birth_date",
    "phone",
    "household",
    "relation",
    "division",
    "division_key",
    "created_at",
    "updated_at",
]
KEY_PERSON_FIELDS = ["id", "resident", "category", "division_key", "note", "since", "created_at"]
NEED_FIELDS = [
    "id",
    "resident",
    "kind",
    "description",
    "recurrence_days",
    "next_due",
    "status",
    "division_key",
    "created_at",
]
VENUE_FIELDS = ["id", "code", "name", "kind", "division", "division_key", "address", "lat", "lon"]

# Household sizes 1–6 (2020 census shares, mean ≈ 2.6).
SIZES = [1, 2, 3, 4, 5, 6]
SIZE_WEIGHTS = [25.4, 29.7, 21.0, 13.2, 6.2, 4.5]
# Per size: (weight, head age range, other members). S spouse, C child of the couple,
# A adult child, L the adult child's spouse, G grandchild, P parent of the head.
TEMPLATES: dict[int, list[tuple[float, tuple[int, int], str]]] = {
    1: [(0.45, (20, 44), ""), (0.20, (45, 59), ""), (0.35, (60, 92), "")],
    2: [
        (0.22, (21, 35), "S"),
        (0.45, (55, 88), "S"),
        (0.15, (30, 55), "C"),
        (0.10, (25, 62), "P"),
        (0.08, (45, 68), "A"),
    ],
    3: [
        (0.72, (24, 50), "SC"),
        (0.10, (28, 62), "SP"),
        (0.12, (52, 75), "SG"),
        (0.06, (45, 70), "SA"),
    ],
    4: [
        (0.45, (27, 50), "SCC"),
        (0.25, (26, 55), "SCP"),
        (0.08, (52, 75), "SGG"),
        (0.22, (50, 72), "SAG"),
    ],
    5: [(0.30, (28, 52), "SCCP"), (0.35, (26, 48), "SCPP"), (0.35, (50, 72), "SALG")],
    6: [(0.55, (30, 48), "SCCPP"), (0.45, (50, 72), "SALGG")],
}
assert all(len(m) + 1 == size for size, options in TEMPLATES.items() for *_, m in options)
RELATION_OF = {
    "S": Relation.SPOUSE.value,
    "C": Relation.CHILD.value,
    "A": Relation.CHILD.value,
    "L": Relation.OTHER.value,
    "G": Relation.GRANDCHILD.value,
    "P": Relation.PARENT.value,
}

# Key-person rates (shares of the eligible group) — demo data, not policy.
RATE_DISABLED = 0.015
RATE_DIALYSIS = 0.0006  # adults 20+, ≈ 0.05 % of everyone
RATE_CHEMO = 0.0013  # adults 25+, ≈ 0.1 % of everyone
RATE_CHRONIC = 0.05  # 50+
RATE_PREGNANT = 0.007  # women 20–40
RATE_CHILD_DIFFICULTY = 0.0025  # under 18, ≈ 0.05 % of everyone
RATE_ALONE_SIXTIES = 0.3  # single-person households aged 60–69 (70+ always)
ANY_U = RATE_DISABLED + RATE_DIALYSIS + RATE_CHEMO  # u below this: one of those three
assert max(RATE_PREGNANT, RATE_CHILD_DIFFICULTY) <= RATE_CHRONIC  # v below chronic's rate

REGIONS = [d[0] for d in data.DISTRICTS] + data.OTHER_REGIONS
SEQUENCES = 500  # make_id_number's sequence 0–499
SEQ_STRIDE = 7  # coprime with 500: i ↦ start + 7i is a permutation of 0–499

_mmseg: Any
try:  # pypinyin internals: without them the generator only takes a slower path
    from pypinyin.seg.mmseg import seg as _mmseg
except ImportError:  # pragma: no cover - a pypinyin without mmseg
    _mmseg = None


def _table(weighted: list[tuple[str, float]], size: int = 10_000) -> list[str]:
    """A lookup list where each value fills slots in proportion to its weight."""
    total = sum(w for _, w in weighted)
    out: list[str] = []
    acc = 0.0
    for value, w in weighted:
        acc += w
        out.extend([value] * (round(acc / total * size) - len(out)))
    return out


def _prefix_checker() -> Callable[[str], bool]:
    """Whether pypinyin may read a surname together with the next character as a phrase."""
    prefixes = getattr(_mmseg, "_prefix_set", None)
    if prefixes is None:  # unknown pypinyin internals: always ask pinyin_of
        return lambda text: True
    return lambda text: text in prefixes


class Populator:
    def __init__(self, seed: int, created_at: object, as_of: dt.date) -> None:
        """`created_at`: the stamp of every row, as the database takes it; ages, key-person
        dates and due dates count from `as_of`."""
        self.rng = random.Random(f"fangkong-demo-people-{seed}")
        self.created_at = created_at
        self.resident_id = self.household_id = self.key_person_id = self.need_id = 0
        self.venue_id = 0
        self.venue_budget = 0.0
        self.households: list[tuple[object, ...]] = []
        self.residents: list[tuple[object, ...]] = []
        self.key_persons: list[tuple[object, ...]] = []
        self.needs: list[tuple[object, ...]] = []
        self.venues: list[tuple[object, ...]] = []
        self.surnames = _table(data.SURNAMES)
        self.prefixes = data.MOBILE_PREFIXES
        self.as_of_ord = as_of.toordinal()
        self.min_ord = self.as_of_ord - 102 * 366
        self.days = self.as_of_ord - self.min_ord + 1
        self.seq_used = array("H", bytes(2 * len(REGIONS) * self.days * 2))
        self.region_sums = [
            sum(int(c) * w for c, w in zip(r, WEIGHTS[:6], strict=True)) for r in REGIONS
        ]
        self.seq_codes = [
            (
                f"{s // 5:02d}{(s % 5) * 2 + male}",
                sum(
                    int(c) * w
                    for c, w in zip(f"{s // 5:02d}{(s % 5) * 2 + male}", WEIGHTS[14:], strict=True)
                ),
            )
            for s in range(SEQUENCES)
            for male in (0, 1)
        ]
        self.dates: dict[int, tuple[str, str, int, int]] = {}
        self.given = [[data.GIVEN_CHARS[(sex, cohort)] for cohort in range(3)] for sex in "FM"]
        self.pinyin: dict[str, tuple[str, str]] = {}
        self.is_phrase_prefix = _prefix_checker()
        self.due = [(as_of + dt.timedelta(days=d)).isoformat() for d in range(60)]
        self.past = [(as_of - dt.timedelta(days=d)).isoformat() for d in range(731)]
        self.size_cum = [sum(SIZE_WEIGHTS[: i + 1]) for i in range(len(SIZE_WEIGHTS))]

    # --- identity -----------------------------------------------------------------

    def _date(self, ordinal: int) -> tuple[str, str, int, int]:
        """(ISO date, YYYYMMDD, weighted digit sum, year) of a day."""
        day = dt.date.fromordinal(ordinal)
        compact = f"{day:%Y%m%d}"
        weighted = sum(int(c) * w for c, w in zip(compact, WEIGHTS[6:14], strict=True))
        found = self.dates[ordinal] = (day.isoformat(), compact, weighted, day.year)
        return found

    def _id_number(self, region: int, ordinal: int, male: int) -> tuple[str, str, int]:
        """(ID number, ISO birth date, birth year); moves the birth a day earlier if full."""
        seq_used = self.seq_used
        while True:
            slot = ((region * self.days) + ordinal - self.min_ord) * 2 + male
            used = seq_used[slot]
            if used < SEQUENCES:
                break
            ordinal -= 1
        seq_used[slot] = used + 1
        seq = (slot * 2654435761 % SEQUENCES + used * SEQ_STRIDE) % SEQUENCES
        code, code_sum = self.seq_codes[seq * 2 + male]
        iso, compact, date_sum, year = self.dates.get(ordinal) or self._date(ordinal)
        check = CHECK_CHARS[(self.region_sums[region] + date_sum + code_sum) % 11]
        return f"{REGIONS[region]}{compact}{code}{check}", iso, year

    def _name(self, surname: str, male: int, year: int) -> tuple[str, str, str]:
        """(name, initials, pinyin) for a person born in `year`."""
        random = self.rng.random
        chars = self.given[male][0 if year < 1965 else 1 if year < 1995 else 2]
        n = len(chars)
        given = chars[int(random() * n)]
        if random() < 0.75:
            given += chars[int(random() * n)]
        name = surname + given
        cached = self.pinyin.get(name)
        if cached is not None:
            return name, cached[0], cached[1]
        if self.is_phrase_prefix(surname + given[0]):
            found = pinyin_of(name)
        else:
            head = self._part_pinyin(surname)
            tail = self._part_pinyin(given)
            found = (head[0] + tail[0], head[1] + tail[1])
        if len(self.pinyin) < 500_000:
            self.pinyin[name] = found
        return name, found[0], found[1]

    def _part_pinyin(self, part: str) -> tuple[str, str]:
        found = self.pinyin.get(part)
        if found is None:
            found = self.pinyin[part] = pinyin_of(part)
        return found

    # --- households and people -----------------------------------------------------

    def fill_unit(self, unit: Node) -> None:
        """Households and residents of one unit, `unit.pop` people in all."""
        rng = self.rng
        left = unit.pop
        room = 0
        address_head = data.CITY_NAME + "".join(unit.path[:3]) + "".join(unit.path[4:])
        while left > 0:
            size = min(left, rng.choices(SIZES, cum_weights=self.size_cum)[0])
            left -= size
            self.household_id += 1
            floor, door = divmod(room, 2)
            room += 1
            code = f"H{self.household_id:09d}"
            address = f"{address_head} {floor + 1}{door + 1:02d}室"
            self.households.append((self.household_id, code, unit.id, unit.key, address))
            self._members(size, unit)

    def _members(self, size: int, unit: Node) -> None:
        rng = self.rng
        options = TEMPLATES[size]
        weight, (low, high), members = options[-1]
        pick = rng.random()
        for weight, (low, high), members in options:  # noqa: B007
            if pick < weight:
                break
            pick -= weight
        head_age = rng.randint(low, high)
        elderly_share = 0.6 if head_age >= 60 and size == 1 else 0.2
        head_male = int(rng.random() >= elderly_share) if size == 1 else int(rng.random() < 0.8)
        head_surname = self.surnames[int(rng.random() * 10_000)]
        spouse_surname = self.surnames[int(rng.random() * 10_000)]
        father_line = head_surname if head_male or "S" not in members else spouse_surname
        mother_line = spouse_surname if head_male else head_surname
        local = rng.random() < 0.88
        alone = size == 1 and (
            head_age >= 70 or (head_age >= 60 and rng.random() < RATE_ALONE_SIXTIES)
        )
        self._person(head_surname, head_male, head_age, Relation.HEAD.value, unit, local, alone)
        adult_age, adult_male, in_law_surname = -1, 1, ""
        parent_male = 1
        for m in members:
            relation = RELATION_OF[m]
            if m == "S":
                gap = rng.randint(-2, 5)
                age = max(18, head_age - gap if head_male else head_age + gap)
                self._person(spouse_surname, 1 - head_male, age, relation, unit, local)
            elif m == "C":
                age = rng.randint(max(0, head_age - 40), head_age - 22)
                surname = father_line if rng.random() < 0.95 else mother_line
                self._person(surname, int(rng.random() < 0.52), age, relation, unit, local)
            elif m == "A":
                adult_age = rng.randint(max(18, head_age - 38), head_age - 22)
                adult_male = int(rng.random() < 0.6)
                self._person(father_line, adult_male, adult_age, relation, unit, local)
            elif m == "L":
                in_law_surname = self.surnames[int(rng.random() * 10_000)]
                age = max(18, adult_age + rng.randint(-3, 3))
                self._person(in_law_surname, 1 - adult_male, age, relation, unit, local)
            elif m == "G":
                if adult_age < 0:  # grandparents raising a grandchild: the parent lives away
                    adult_age = rng.randint(max(20, head_age - 38), head_age - 22)
                surname = father_line if adult_male or not in_law_surname else in_law_surname
                age = rng.randint(max(0, adult_age - 38), max(0, adult_age - 22))
                self._person(surname, int(rng.random() < 0.52), age, relation, unit, local)
            else:  # "P": the head's father shares the head's surname, the mother does not
                age = min(100, head_age + rng.randint(22, 34))
                if members.count("P") == 1:
                    parent_male = int(rng.random() < 0.35)
                surname = head_surname if parent_male else self.surnames[int(rng.random() * 10_000)]
                self._person(surname, parent_male, age, relation, unit, local)
                parent_male = 0

    def _person(
        self,
        surname: str,
        male: int,
        age: int,
        relation: str,
        unit: Node,
        local: bool,
        alone: bool = False,
    ) -> None:
        random = self.rng.random
        self.resident_id += 1
        rid = self.resident_id
        region = unit.district if local else 6 + int(random() * len(data.OTHER_REGIONS))
        ordinal = self.as_of_ord - age * 365 - age // 4 - int(random() * 365)
        number, birth, year = self._id_number(region, ordinal, male)
        name, initials, pinyin = self._name(surname, male, year)
        if age < 12 or (age >= 80 and random() < 0.4):
            phone = ""
        else:  # an affine bijection on 8 digits: distinct ids give distinct numbers
            body = (rid * 73_939_133 + 27_182_818) % 100_000_000
            phone = f"{self.prefixes[int(random() * len(self.prefixes))]}{body:08d}"
        created = self.created_at
        self.residents.append(
            (
                rid,
                number,
                name,
                initials,
                pinyin,
                "M" if male else "F",
                birth,
                phone,
                self.household_id,
                relation,
                unit.id,
                unit.key,
                created,
                created,
            )
        )
        u, v = random(), random()
        if alone or u < ANY_U or v < RATE_CHRONIC:
            self._key_person(rid, male, age, unit.key, alone, u, v)

    # --- key persons and needs -------------------------------------------------------

    def _key_person(
        self, rid: int, male: int, age: int, key: str, alone: bool, u: float, v: float
    ) -> None:
        rng = self.rng
        if alone:
            self._key(rid, KeyCategory.ELDERLY_ALONE.value, key, f"{age}岁独居")
            self._need(rid, NeedKind.FOOD.value, key, "生活物资代购配送", 7)
            if age >= 80:
                self._need(rid, NeedKind.CARE.value, key, "网格员上门探视", 7)
        if u < RATE_DISABLED:
            kind = data.DISABILITIES[int(u * 1e6) % len(data.DISABILITIES)]
            grade = data.DISABILITY_GRADES[int(u * 1e7) % len(data.DISABILITY_GRADES)]
            self._key(rid, KeyCategory.DISABLED.value, key, f"{kind}{grade}")
            if grade in ("一级", "二级"):
                self._need(rid, NeedKind.CARE.value, key, "助残上门服务", 14)
        elif u < RATE_DISABLED + RATE_DIALYSIS and age >= 20:
            hospital = rng.choice(data.DIALYSIS_HOSPITALS)
            self._key(rid, KeyCategory.DIALYSIS.value, key, f"尿毒症，{hospital}")
            self._need(
                rid,
                NeedKind.DIALYSIS_SESSION.value,
                key,
                f"血液透析（{hospital}）",
                rng.choice((2, 3)),
            )
        elif u < RATE_DISABLED + RATE_DIALYSIS + RATE_CHEMO and age >= 25:
            cancer, hospital = rng.choice(data.CANCER_KINDS), rng.choice(data.CHEMO_HOSPITALS)
            self._key(rid, KeyCategory.CHEMO.value, key, f"{cancer}，{hospital}")
            self._need(rid, NeedKind.TREATMENT.value, key, f"{cancer}化疗（{hospital}）", 21)
        if age >= 50:
            if v < RATE_CHRONIC:
                condition, medicine = rng.choice(data.CHRONIC_CONDITIONS)
                self._key(rid, KeyCategory.CHRONIC.value, key, condition)
                self._need(rid, NeedKind.MEDICINE.value, key, medicine, 30)
        elif not male and 20 <= age <= 40:
            if v < RATE_PREGNANT:
                weeks = rng.randint(6, 39)
                self._key(rid, KeyCategory.PREGNANT.value, key, f"孕{weeks}周", weeks * 7 - 28)
                every = 28 if weeks < 28 else 14 if weeks < 36 else 7
                self._need(rid, NeedKind.PRENATAL.value, key, f"产前检查（孕{weeks}周）", every)
        elif age < 18 and v < RATE_CHILD_DIFFICULTY:
            self._key(
                rid, KeyCategory.CHILD_DIFFICULTY.value, key, rng.choice(data.CHILD_DIFFICULTIES)
            )
            self._need(rid, NeedKind.CARE.value, key, "儿童主任定期走访", 14)

    def _key(self, rid: int, category: str, key: str, note: str, days: int = -1) -> None:
        self.key_person_id += 1
        since = self.past[days if days >= 0 else int(self.rng.random() * len(self.past))]
        self.key_persons.append(
            (self.key_person_id, rid, category, key, note, since, self.created_at)
        )

    def _need(self, rid: int, kind: str, key: str, description: str, every: int) -> None:
        self.need_id += 1
        due = self.due[int(self.rng.random() * every)]
        self.needs.append(
            (self.need_id, rid, kind, description, every, due, "open", key, self.created_at)
        )

    # --- venues ----------------------------------------------------------------------

    def add_venues(self, grid: Node, landmarks: list[tuple[str, str]]) -> None:
        """About one venue per 150 residents, plus the district's landmarks in its first grid."""
        rng = self.rng
        self.venue_budget += grid.pop / 150
        street_root = grid.path[1].removesuffix("街道").rstrip("镇乡")
        community = grid.path[2]
        community_root = community.removesuffix("社区").removesuffix("村")
        address = data.CITY_NAME + "".join(grid.path[:3])
        picks = list(landmarks)
        while self.venue_budget >= 1:
            self.venue_budget -= 1
            kind, _weight, patterns = rng.choices(
                data.VENUE_PATTERNS, [p[1] for p in data.VENUE_PATTERNS]
            )[0]
            name = rng.choice(patterns).format(
                s=street_root,
                c=community_root,
                x=self.surnames[int(rng.random() * 10_000)],
                n=rng.randint(1, 9),
            )
            picks.append((kind, name))
        for kind, name in picks:
            self.venue_id += 1
            lat = round(grid.lat + rng.gauss(0, 0.003), 6)
            lon = round(grid.lon + rng.gauss(0, 0.003), 6)
            self.venues.append(
                (
                    self.venue_id,
                    f"V{self.venue_id:09d}",
                    name,
                    kind,
                    grid.id,
                    grid.key,
                    address,
                    lat,
                    lon,
                )
            )
