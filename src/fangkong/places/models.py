"""Jurisdiction tree (city → … → unit) and venues.

Every node has a hierarchical `key`: the significant digits of its division code
(city 4, district 6, street 9, community 12; below community the platform
appends grid 2, compound 2, building 3, unit 2 digits). A subtree is then one
prefix range on `key`, and every scoped table stores the key of its node.
"""

import unicodedata

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.IntegerChoices):
    CITY = 1, _("City")
    DISTRICT = 2, _("District")
    STREET = 3, _("Street")
    COMMUNITY = 4, _("Community")
    GRID = 5, _("Grid")
    COMPOUND = 6, _("Compound")
    BUILDING = 7, _("Building")
    UNIT = 8, _("Unit")


KEY_LENGTH = {
    Level.CITY: 4,
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 14,
    Level.COMPOUND: 16,
    Level.BUILDING: 19,
    Level.UNIT: 21,
}


def code_from_key(key: str) -> str:
    """Statistical code for a key: 12 digits down to community, the full key below."""
    return key.ljust(12, "0") if len(key) <= 12 else key


def named(text: str) -> Q:
    """The division a person names by a code, as they write it: the 6-digit GB/T 2260 code of a
    district, the 9- or 12-digit statistical code of a street or community (a short code is the
    12-digit one without its trailing zeros), the longer code of a grid or finer place, or the
    key; full-width digits and spaces are read as typed on a phone."""
    text = as_typed(text)
    return Q(code=code_from_key(text)) | Q(key=text) if text else Q(pk__in=[])


def as_typed(text: str) -> str:
    """A code as typed, read the way `named` reads it (full-width digits, spaces)."""
    return unicodedata.normalize("NFKC", text or "").replace(" ", "").strip()


def names_division(text: str, division: "Division") -> bool:
    """Whether `text` names `division` (the test `named` makes in the database)."""
    text = as_typed(text)
    return bool(text) and (code_from_key(text) == division.code or text == division.key)


def named_any(texts: list[str]) -> Q:
    """Every division named by one of `texts` (see `named`)."""
    query = Q(pk__in=[])
    for text in texts:
        query |= named(text)
    return query


class Division(models.Model):
    key = models.CharField(_("key"), max_length=24, unique=True)
    code = models.CharField(_("division code"), max_length=24, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")

    def __str__(self) -> str:
        return self.name

    def contains(self, key: str) -> bool:
        return key.startswith(self.key)


class Outline(models.Model):
    """The shape of a division on the map: a GeoJSON Polygon (lon, lat) and its bounding box.

    Given outlines come from a boundary file (`fangkong outlines --load`) or the demo city;
    derived ones (`derived`) are the convex hull of the coordinates below the node, widened by a
    margin (`places.services.outlines_derive`). `key` repeats the division's key, so a
    jurisdiction's outlines are one prefix range, and the box serves "what is in view".
    """

    division = models.OneToOneField(
        Division, on_delete=models.CASCADE, primary_key=True, related_name="outline"
    )
    key = models.CharField(_("key"), max_length=24, unique=True, editable=False)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    polygon = models.JSONField(_("outline"))
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    derived = models.BooleanField(_("derived from the points below"), default=False)

    class Meta:
        ordering = ["key"]
        verbose_name = _("outline")
        verbose_name_plural = _("outlines")
        indexes = [models.Index(fields=["level", "west", "east"], name="outline_level_box")]

    def __str__(self) -> str:
        return self.key


class VenueKind(models.TextChoices):
    SUPERMARKET = "supermarket", _("Supermarket")
    MARKET = "market", _("Farmers' market")
    RESTAURANT = "restaurant", _("Restaurant")
    PHARMACY = "pharmacy", _("Pharmacy")
    HOSPITAL = "hospital", _("Hospital / clinic")
    SCHOOL = "school", _("School")
    OFFICE = "office", _("Office / workplace")
    FACTORY = "factory", _("Factory")
    TRANSPORT = "transport", _("Station / transport")
    GYM = "gym", _("Gym / leisure")
    OTHER = "other", _("Other")


class Venue(models.Model):
    """A place with a venue code (场所码) where people check in."""

    code = models.CharField(_("venue code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=VenueKind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="venues")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")

    def __str__(self) -> str:
        return self.name
