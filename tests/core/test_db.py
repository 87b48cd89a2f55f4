"""`prefix_q`, the one condition every jurisdiction scope uses, on the database the suite runs
on (LIKE on PostgreSQL, a byte range on SQLite): exactly the subtree, at any depth."""

import pytest

from fangkong.core.db import prefix_ordered, prefix_q
from fangkong.places.models import Division, Level


@pytest.fixture
def keys(city):
    """The city's nodes and a few more whose keys share leading digits with others."""
    for key, parent in [
        ("41100", city.city),  # a prefix of 411002… and 411003…
        ("4110029", city.weidu),
        ("411002:", city.weidu),  # ":" sorts right after "9"
    ]:
        Division.objects.create(
            key=key, code=f"T{key}", name=key, level=Level.STREET, parent=parent
        )
    return sorted(Division.objects.values_list("key", flat=True))


@pytest.mark.parametrize("prefix", ["", "4110", "41100", "411002", "4110029", "411003001"])
def test_a_prefix_finds_exactly_the_keys_that_start_with_it(keys, prefix):
    found = sorted(Division.objects.filter(prefix_q("key", prefix)).values_list("key", flat=True))
    assert found == [k for k in keys if k.startswith(prefix)]


def test_a_prefix_that_is_no_key_finds_nothing(keys):
    assert not Division.objects.filter(prefix_q("key", "4119")).exists()


def test_prefix_ordered_keeps_byte_order(keys):
    found = list(
        prefix_ordered(Division.objects.all(), "key", "411002").values_list("key", flat=True)
    )
    assert found == sorted(k for k in keys if k.startswith("411002"))
