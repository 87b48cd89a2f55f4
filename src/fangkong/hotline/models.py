"""Citizen requests (12345, issue 18): a caller's request from any channel, classified in one of
fixed categories, dispatched by the rule in force to the responsible department, with its SLA
clock, escalations, notes and the caller's confirmation; the departments requests go to; the
training examples the classifier learns from (shipped, and operators' corrections); Open311
clients' keys.

A request's `division_key` is its place's when the place is known, else the caller's home, else
the operator's jurisdiction: the community and street that must act see it; a department's staff
see the requests dispatched to their department.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.idnumber import mask_phone
from fangkong.people.models import Resident
from fangkong.places.models import Division


class HotlineCategory(models.TextChoices):
    """The fixed categories (codes never change; `policy.schema.HotlineCategory`)."""

    MEDICAL = "medical", pgettext_lazy("request category", "Medical care")
    MEDICINE = "medicine", pgettext_lazy("request category", "Buying and delivering medicine")
    SUPPLIES = "supplies", pgettext_lazy("request category", "Living supplies")
    PRICES = "prices", pgettext_lazy("request category", "Price complaint")
    PASSAGE = "passage", pgettext_lazy("request category", "Passage and supply")
    WORK = "work", pgettext_lazy("request category", "Resuming work and production")
    REPAIR = "repair", pgettext_lazy("request category", "Repairs")
    MENTAL = "mental", pgettext_lazy("request category", "Psychological support")
    POLICY = "policy", pgettext_lazy("request category", "Policy question")
    CONTROL = "control", pgettext_lazy("request category", "Control measures")
    TESTING = "testing", pgettext_lazy("request category", "Nucleic-acid testing")
    ASSISTANCE = "assistance", pgettext_lazy("request category", "Hardship assistance")
    OTHER = "other", pgettext_lazy("request category", "Other")


class HotlineChannel(models.TextChoices):
    PHONE = "phone", _("Phone call (12345)")
    WEB = "web", _("Public web form")
    WECHAT = "wechat", _("WeChat group message")
    TRANSFER_110 = "transfer_110", _("Transferred from 110")
    OPEN311 = "open311", _("Open311 client")


class DepartmentKind(models.TextChoices):
    """Who requests are dispatched to (`policy.schema.DepartmentKind`)."""

    COMMUNITY = "community", _("Community (residents' committee)")
    STREET_OFFICE = "street_office", _("Street office")
    HEALTH = "health", _("Health commission / medical task force")
    MARKET = "market", _("Market regulation")
    TRANSPORT = "transport", _("Transport and passes")
    INDUSTRY = "industry", _("Industry and commerce (resuming work)")
    UTILITIES = "utilities", _("Utilities and property repairs")
    COUNSELLING = "counselling", _("Psychological counselling")
    EPIDEMIC_OFFICE = "epidemic_office", _("Epidemic control office")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    HOTLINE_CENTRE = "hotline_centre", _("12345 centre")


class Department(models.Model):
    """A department or task force requests are dispatched to, with the staff who answer them."""

    code = models.CharField(_("department code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=DepartmentKind.choices)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    phone = models.CharField(_("direct line"), max_length=20, blank=True)
    active = models.BooleanField(_("in service"), default=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="hotline_departments"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class HotlineStatus(models.TextChoices):
    QUEUED = "queued", _("Queued (public form over its limit)")
    RECEIVED = "received", _("Received (not yet dispatched)")
    DISPATCHED = "dispatched", pgettext_lazy("citizen request", "Dispatched")
    ACCEPTED = "accepted", _("Accepted by the department")
    COMPLETED = "completed", _("Completed (awaiting the caller)")
    CLOSED = "closed", _("Closed (caller called back)")
    MERGED = "merged", _("Merged into another request")
    CANCELLED = "cancelled", pgettext_lazy("citizen request", "Cancelled")


OPEN_STATUSES = (
    HotlineStatus.QUEUED,
    HotlineStatus.RECEIVED,
    HotlineStatus.DISPATCHED,
    HotlineStatus.ACCEPTED,
    HotlineStatus.COMPLETED,
)


class Satisfaction(models.IntegerChoices):
    VERY_UNSATISFIED = 1, _("Very unsatisfied")
    UNSATISFIED = 2, _("Unsatisfied")
    NEUTRAL = 3, _("Neither")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


def new_token() -> str:
    return secrets.token_urlsafe(12)


class HotlineRequest(models.Model):
    """A citizen's request (诉求): who called, by which channel, what about, where, and where it
    went by which rule (number, profile code and version)."""

    number = models.CharField(_("request number"), max_length=24, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=16, choices=HotlineChannel.choices)
    text = models.TextField(_("what the caller says"), max_length=4000)
    category = models.CharField(_("category"), max_length=16, choices=HotlineCategory.choices)
    suggested_category = models.CharField(
        _("suggested category"), max_length=16, choices=HotlineCategory.choices, blank=True
    )
    suggested_confidence = models.FloatField(_("confidence"), null=True, blank=True)
    caller_name = models.CharField(_("caller"), max_length=60, blank=True)
    caller_phone = models.CharField(_("caller's phone"), max_length=20, blank=True, db_index=True)
    person = models.ForeignKey(
        Resident,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hotline_requests",
    )
    place_text = models.CharField(_("place"), max_length=200, blank=True)
    division = models.ForeignKey(
        Division,
        verbose_name=_("place in the registry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=HotlineStatus.choices, default=HotlineStatus.RECEIVED
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    rule_number = models.PositiveSmallIntegerField(_("rule"), null=True, blank=True)
    profile_code = models.CharField(_("policy profile"), max_length=40, blank=True)
    profile_version = models.PositiveIntegerField(_("profile version"), null=True, blank=True)
    sla_minutes = models.PositiveIntegerField(_("solve within (minutes)"), null=True, blank=True)
    due_at = models.DateTimeField(_("due by"), null=True, blank=True, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)
    escalated_at = models.DateTimeField(_("last escalated at"), null=True, blank=True)
    confirmed = models.BooleanField(_("solved, says the caller"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), choices=Satisfaction.choices, null=True, blank=True
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    # The secret of the caller's own page; Open311: the client that posted it.
    caller_token = models.CharField(max_length=24, unique=True, default=new_token, editable=False)
    client = models.ForeignKey(
        "hotline.Open311Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_address = models.GenericIPAddressField(null=True, blank=True)
    # When it happened (valid time, given or now) and when it was written (system time).
    happened_at = models.DateTimeField(_("happened at"), default=timezone.now)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "division_key"], name="hotline_status_key"),
            models.Index(fields=["department", "status"], name="hotline_request_department"),
            models.Index(fields=["division", "created_at"], name="hotline_place_time"),
            models.Index(fields=["person", "created_at"], name="hotline_person_time"),
        ]
        verbose_name = _("citizen request")
        verbose_name_plural = _("citizen requests")

    def __str__(self) -> str:
        return self.number

    @property
    def caller_phone_masked(self) -> str:
        return mask_phone(self.caller_phone)


class NoteKind(models.TextChoices):
    PROGRESS = "progress", _("Progress")
    CALLBACK = "callback", _("Call back to the caller")
    ESCALATION = "escalation", _("Escalation")


class RequestNote(models.Model):
    """A progress note on a request (the department's, or the operator's call back)."""

    request = models.ForeignKey(HotlineRequest, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=12, choices=NoteKind.choices)
    text = models.CharField(_("note"), max_length=1000)
    happened_at = models.DateTimeField(_("happened at"), default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["happened_at", "id"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self) -> str:
        return self.text[:60]


class ExampleSource(models.TextChoices):
    CORRECTION = "correction", _("An operator's correction")
    CONFIRMED = "confirmed", _("An operator's confirmation")


class TrainingExample(models.Model):
    """A labelled text the classifier learns from, beyond the shipped set: an operator chose a
    category (corrected the suggestion, or confirmed it)."""

    text = models.TextField(max_length=4000)
    category = models.CharField(_("category"), max_length=16, choices=HotlineCategory.choices)
    suggested = models.CharField(max_length=16, choices=HotlineCategory.choices, blank=True)
    source = models.CharField(max_length=12, choices=ExampleSource.choices)
    request = models.ForeignKey(
        HotlineRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("training example")
        verbose_name_plural = _("training examples")

    def __str__(self) -> str:
        return f"{self.category}: {self.text[:60]}"


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Open311Client(models.Model):
    """A system that posts requests through Open311 with its API key (only the digest kept)."""

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=120)
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("in service"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name
