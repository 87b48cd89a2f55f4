"""Forms of the trip pages: the public report, the checkpoint, and the staff filters."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.dates import DayField, MomentField
from fangkong.places.models import Division
from fangkong.travel.models import OriginKind, Transport, TripStatus

DATE = forms.DateInput({"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput({"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def community_choices(communities: Iterable[Division]) -> list[tuple[str, Any]]:
    """Communities grouped by street: [(street name, [(key, community name), …]), …]."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in communities:
        street = c.parent.name if c.parent is not None else ""
        groups.setdefault(street, []).append((c.key, c.name))
    return [("", "—"), *groups.items()]


class TripForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    id_number = forms.CharField(label=_("ID number"), max_length=18)
    phone = forms.CharField(label=_("Phone"), max_length=20)
    origin_kind = forms.ChoiceField(label=_("Coming from"), choices=OriginKind.choices)
    origin = forms.CharField(
        label=_("Place (city, district or country)"),
        max_length=200,
        widget=forms.TextInput({"placeholder": _("city and district, or country")}),
    )
    departed_on = DayField(label=_("Day you left it"), widget=DATE)
    arriving_at = MomentField(plan=True, label=_("Arriving at"), widget=DATETIME)
    transport = forms.ChoiceField(label=_("Transport"), choices=Transport.choices)
    transport_number = forms.CharField(
        label=_("Flight, train or plate number"), max_length=40, required=False
    )
    destination = forms.ChoiceField(label=_("Destination community"), choices=[])
    address = forms.CharField(
        label=_("Address (compound, building, unit, room)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, communities: Iterable[Division] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        destination = self.fields["destination"]
        assert isinstance(destination, forms.ChoiceField)
        destination.choices = community_choices(communities)

    def clean_destination(self) -> str:
        return str(self.cleaned_data["destination"])


class FindForm(forms.Form):
    q = forms.CharField(
        label=_("Trip code or ID number"),
        max_length=20,
        required=False,
        widget=forms.TextInput({"autofocus": True, "autocomplete": "off"}),
    )


class ArrivalForm(forms.Form):
    checkpoint = forms.CharField(label=_("Checkpoint"), max_length=120)
    site = forms.ChoiceField(label=_("Sampling site"), required=False, choices=[])
    barcode = forms.CharField(label=_("Tube barcode"), max_length=40, required=False)
    arrived_at = MomentField(label=_("Arrived at (empty: now)"), required=False, widget=DATETIME)

    def __init__(self, *args: Any, sites: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site = self.fields["site"]
        assert isinstance(site, forms.ChoiceField)
        site.choices = [("", _("none: note the barcode only")), *((s.pk, s.name) for s in sites)]


class TripFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *TripStatus.choices]
    )
    origin_kind = forms.ChoiceField(
        label=_("Origin"), required=False, choices=[("", _("All")), *OriginKind.choices]
    )
    arriving_on = DayField(window=True, label=_("Arrival day"), required=False, widget=DATE)
    community = forms.ChoiceField(label=_("Destination community"), required=False, choices=[])

    def __init__(self, *args: Any, communities: Iterable[Division] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        assert isinstance(community, forms.ChoiceField)
        choices = community_choices(communities)
        community.choices = [("", _("All")), *choices[1:]]


class HandoverFilterForm(forms.Form):
    acknowledged = forms.ChoiceField(
        label=_("Acknowledged"),
        required=False,
        choices=[("", _("All")), ("no", _("Not yet")), ("yes", _("Yes"))],
    )
    community = forms.ChoiceField(label=_("Community"), required=False, choices=[])

    def __init__(self, *args: Any, communities: Iterable[Division] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        assert isinstance(community, forms.ChoiceField)
        community.choices = [("", _("All")), *community_choices(communities)[1:]]
