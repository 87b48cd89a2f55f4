"""What a resident import file holds: its columns, the values they accept, the reasons a row
is refused, the result of an import and the sample file.

Reasons are English msgids, translated when shown, so the page and the rejected-rows file
speak the reader's language.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_noop

from fangkong.core.tabular import Columns, ImportResult
from fangkong.people.models import Relation

CHUNK = 5000  # rows validated, and written, at a time

COLUMNS = Columns(
    names=(
        "id_number",
        "name",
        "phone",
        "unit_code",
        "household_code",
        "relation",
        "sex",
        "birth_date",
    ),
    chinese={
        "id_number": "身份证号",
        "name": "姓名",
        "phone": "手机号",
        "unit_code": "单元编码",
        "household_code": "户编号",
        "relation": "与户主关系",
        "sex": "性别",
        "birth_date": "出生日期",
    },
    aliases={
        "id_number": ("身份证号", "身份证号码", "公民身份号码", "idnumber", "id"),
        "name": ("姓名", "name"),
        "phone": ("手机号", "手机号码", "手机", "联系电话", "phone", "mobile"),
        "unit_code": ("单元编码", "住址编码", "unitcode", "unit", "placecode"),
        "household_code": ("户编号", "户号", "householdcode", "household"),
        "relation": ("与户主关系", "relation", "relationtohead", "relationship"),
        "sex": ("性别", "sex", "gender"),
        "birth_date": ("出生日期", "birthdate", "dateofbirth", "birthday"),
    },
    required=("id_number", "name", "unit_code"),
)

RELATION_MAP: dict[str, str] = {v: v for v in Relation.values}
RELATION_MAP.update(
    {
        "户主": "head",
        "本人": "head",
        "配偶": "spouse",
        "妻": "spouse",
        "夫": "spouse",
        "妻子": "spouse",
        "丈夫": "spouse",
        "子女": "child",
        "子": "child",
        "女": "child",
        "儿子": "child",
        "女儿": "child",
        "父母": "parent",
        "父亲": "parent",
        "母亲": "parent",
        "孙子女": "grandchild",
        "孙子": "grandchild",
        "孙女": "grandchild",
        "外孙子女": "grandchild",
        "祖父母": "grandparent",
        "祖父": "grandparent",
        "祖母": "grandparent",
        "外祖父母": "grandparent",
        "兄弟姐妹": "sibling",
        "兄弟": "sibling",
        "姐妹": "sibling",
        "其他": "other",
        "其它": "other",
        "head of household": "head",
    }
)
SEX_MAP = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ].*)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

# Reasons (English msgids, translated when shown).
E_NAME_EMPTY = gettext_noop("Name is required")
E_NAME_LONG = gettext_noop("Name is longer than 60 characters")
E_PHONE = gettext_noop("Phone must be an 11-digit mobile or an area-code number")
E_UNIT_UNKNOWN = gettext_noop("No place has this code")
E_UNIT_LEVEL = gettext_noop("A resident lives in a community or a finer place")
E_UNIT_SCOPE = gettext_noop("This place is outside your jurisdiction")
E_HOUSEHOLD_LONG = gettext_noop("Household code is longer than 40 characters")
E_HOUSEHOLD_ELSEWHERE = gettext_noop("This household is registered at another place")
E_HOUSEHOLD_TWO_UNITS = gettext_noop("Row %(row)s puts this household at another place")
E_RELATION = gettext_noop("Unknown relation")
E_SEX = gettext_noop("Sex must be 男 or 女 (M or F)")
E_SEX_MISMATCH = gettext_noop("Sex does not match the ID number")
E_BIRTH = gettext_noop("Birth date must be a date such as 1980-05-17")
E_BIRTH_MISMATCH = gettext_noop("Birth date does not match the ID number (%(expected)s)")
E_DUPLICATE_ID = gettext_noop("This ID number already appears in row %(row)s")
E_RESIDENT_SCOPE = gettext_noop(
    "A resident with this ID number is registered outside your jurisdiction"
)
E_CONCURRENT = gettext_noop(
    "The registry changed while the file was imported; nothing was written. Import it again."
)


@dataclass
class ResidentImportResult(ImportResult):
    valid_only: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    households_created: int = 0
    token: str | None = None  # rejected rows can be downloaded under this token


SAMPLE_ROWS = (
    ("411002198005170014", "张伟", "13900000001", "411002001001010100101", "HH-001", "户主"),
    ("411002198208230021", "李秀英", "13900000002", "411002001001010100101", "HH-001", "配偶"),
    ("411002201003150030", "张小明", "", "411002001001010100101", "HH-001", "子女"),
)


def sample_csv() -> str:
    """A small example file with Chinese headers (also in docs/samples/)."""
    return COLUMNS.sample_csv(SAMPLE_ROWS, COLUMNS.names[:6])
