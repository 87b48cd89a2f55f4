"""What the values of the rules are called, in the reader's language (the editor's choices,
the comparison's cells)."""

from typing import Any

from django.utils.translation import gettext_lazy, pgettext_lazy

from fangkong.policy.schema import (
    CONTROL_STATE_WORDS,
    DOCUMENT_KIND_WORDS,
    HOTLINE_CATEGORY_WORDS,
    REQUEST_TYPE_WORDS,
)

CATEGORY_LABELS = {
    "close_contact": gettext_lazy("Close contact"),
    "secondary_contact": gettext_lazy("Secondary contact"),
    "high_risk_area_leaver": gettext_lazy("Left a high-risk area"),
    "inbound_traveller": gettext_lazy("Inbound traveller"),
    "risk_post_leaver": gettext_lazy("High-risk post leaving closed loop"),
}
PHASE_LABELS = {
    "centralised": gettext_lazy("centralised quarantine"),
    "home_quarantine": gettext_lazy("home quarantine"),
    "home_monitoring": gettext_lazy("home health monitoring"),
    "centralised_or_home": gettext_lazy("centralised or home quarantine"),
}
COUNTED_FROM_LABELS = {
    "last_exposure": gettext_lazy("the last exposure"),
    "departure": gettext_lazy("leaving the risk area"),
    "arrival": gettext_lazy("arrival"),
    "leaving_closed_loop": gettext_lazy("leaving the closed loop"),
}
SCHEME_LABELS = {
    "high_medium_low": gettext_lazy("high / medium / low risk"),
    "high_low": gettext_lazy("high / low risk"),
    "sealed_controlled_precaution": gettext_lazy("sealed / controlled / precaution zones"),
}
LEVEL_LABELS = {
    "high": gettext_lazy("high"),
    "medium": gettext_lazy("medium"),
    "low": gettext_lazy("low"),
    "sealed": gettext_lazy("sealed"),
    "controlled": gettext_lazy("controlled"),
    "precaution": gettext_lazy("precaution"),
}
PLACE_LABELS = {
    "unit": gettext_lazy("unit"),
    "building": gettext_lazy("building"),
    "compound": gettext_lazy("compound"),
    "community": gettext_lazy("community"),
}
MASS_TESTING = {
    "by_area": gettext_lazy("allowed by area"),
    "only_when_source_unclear": gettext_lazy("only when the source or chain is unclear"),
}
COLOUR_LABELS = {
    "red": pgettext_lazy("health-code colour", "red"),
    "yellow": pgettext_lazy("health-code colour", "yellow"),
    "green": pgettext_lazy("health-code colour", "green"),
}
CONDITION_LABELS = {
    "confirmed_case": gettext_lazy("confirmed case"),
    "suspected_case": gettext_lazy("suspected case"),
    "close_contact_under_quarantine": gettext_lazy("close contact under quarantine"),
    "secondary_contact_under_quarantine": gettext_lazy("secondary contact under quarantine"),
    "high_risk_area_leaver_under_quarantine": gettext_lazy(
        "left a high-risk area, under quarantine"
    ),
    "inbound_traveller_under_quarantine": gettext_lazy("inbound traveller under quarantine"),
    "under_health_monitoring": gettext_lazy("under health monitoring"),
    "missed_required_test": gettext_lazy("missed a required test"),
    "under_temporary_control": gettext_lazy(
        "under temporary control (member of a positive pool, awaiting a retest)"
    ),
}
RISK_POST_GROUPS = {
    "group_1": gettext_lazy("Group 1 (quarantine sites, fever clinics, border)"),
    "group_2": gettext_lazy("Group 2 (supermarkets, couriers, delivery)"),
}
TEST_KIND_LABELS = {
    "fever_clinic": gettext_lazy("fever clinic"),
    "outpatient": gettext_lazy("outpatient"),
    "voluntary": gettext_lazy("voluntary"),
}

# Medical care routing (`schema.CareRouting`): request types, control states, facility kinds.
# "dialysis" names both a request and a kind of facility: one word for both.
CARE_LABELS = {
    **{k: gettext_lazy(v) for k, v in REQUEST_TYPE_WORDS.items()},
    **{k: gettext_lazy(v) for k, v in CONTROL_STATE_WORDS.items()},
    "dialysis": gettext_lazy("dialysis"),
    "designated": gettext_lazy("Designated hospital campus"),
    "general": gettext_lazy("General hospital"),
    "fever_clinic": gettext_lazy("fever clinic"),
    "maternity": gettext_lazy("Maternity hospital"),
    "pharmacy": gettext_lazy("Pharmacy"),
    "internet": gettext_lazy("Internet hospital"),
    "dispatch_120": gettext_lazy("120 dispatch centre"),
}

# Social assistance (`schema.Assistance`): the documents an applicant uploads.
ASSISTANCE_LABELS = {k: gettext_lazy(v) for k, v in DOCUMENT_KIND_WORDS.items()}
# Citizen requests (`schema.HotlineRules`): categories and kinds of department. "medicine" and
# "other" are also request types of medical care, whose words stand (merged after these).
HOTLINE_LABELS = {
    **{k: gettext_lazy(v) for k, v in HOTLINE_CATEGORY_WORDS.items()},
    "community": gettext_lazy("Community (residents' committee)"),
    "street_office": gettext_lazy("Street office"),
    "health": gettext_lazy("Health commission / medical task force"),
    "market": gettext_lazy("Market regulation"),
    "transport": gettext_lazy("Transport and passes"),
    "industry": gettext_lazy("Industry and commerce (resuming work)"),
    "utilities": gettext_lazy("Utilities and property repairs"),
    "counselling": gettext_lazy("Psychological counselling"),
    "epidemic_office": gettext_lazy("Epidemic control office"),
    "civil_affairs": gettext_lazy("Civil affairs"),
    "hotline_centre": gettext_lazy("12345 centre"),
}

# The values of every closed list of the schema (a `Literal`), for the editor's selects.
CHOICE_LABELS: dict[str, Any] = {
    **CATEGORY_LABELS,
    **PHASE_LABELS,
    **COUNTED_FROM_LABELS,
    **SCHEME_LABELS,
    **MASS_TESTING,
    **COLOUR_LABELS,
    **CONDITION_LABELS,
    **HOTLINE_LABELS,
    **CARE_LABELS,
    **ASSISTANCE_LABELS,
}
# Names used as keys or list items in the rules (levels, places, groups, kinds of test).
NAME_LABELS: dict[str, Any] = {
    **LEVEL_LABELS,
    **PLACE_LABELS,
    **RISK_POST_GROUPS,
    **TEST_KIND_LABELS,
}


def value_label(value: Any) -> str:
    """A stored value as a reader says it: a known name translated, anything else as is."""
    if isinstance(value, str):
        return str(CHOICE_LABELS.get(value) or NAME_LABELS.get(value) or value)
    return str(value)
