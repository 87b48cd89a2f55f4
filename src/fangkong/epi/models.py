"""Cases, contacts, venue check-ins and contact finding (the health code: fangkong.healthcode).

Every scoped row stores `division_key` (the jurisdiction node it belongs to): a case and a
contact belong to where the person lives or stays, so the community that must act sees them.
"""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.people.idnumber import mask_id_number
from fangkong.people.models import Resident
from fangkong.places.models import Venue


class CaseKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed case")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")


class FoundBy(models.TextChoices):
    COMMUNITY_SCREENING = "community_screening", _("Community screening")
    IN_QUARANTINE = "in_quarantine", _("Testing in quarantine")
    ARRIVAL_TEST = "arrival_test", _("Arrival test")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    RISK_POST = "risk_post", _("Risk-post testing")
    SELF_REPORT = "self_report", _("Self-report")


class FoundWhere(models.TextChoices):
    QUARANTINE = "quarantine", _("Inside quarantine / controlled area")
    COMMUNITY = "community", _("In the community (社会面)")


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    TRANSFERRED = "transferred", _("Transferred (closed loop)")
    RECOVERED = "recovered", _("Recovered and discharged")
    DIED = "died", _("Died")


class Destination(models.TextChoices):
    DESIGNATED_HOSPITAL = "designated_hospital", _("Designated hospital")
    SHELTER_HOSPITAL = "shelter_hospital", _("Shelter hospital")


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=40, unique=True)
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(_("classification"), max_length=16, choices=CaseKind.choices)
    found_by = models.CharField(_("found by"), max_length=24, choices=FoundBy.choices)
    found_where = models.CharField(_("found"), max_length=12, choices=FoundWhere.choices)
    sampled_on = models.DateField(_("sampling date"))
    onset_on = models.DateField(_("onset date"), null=True, blank=True)
    reported_on = models.DateField(_("report date"))
    status = models.CharField(
        _("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.REPORTED
    )
    destination = models.CharField(
        _("transferred to"), max_length=24, choices=Destination.choices, blank=True
    )
    destination_name = models.CharField(_("hospital"), max_length=200, blank=True)
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    outcome_on = models.DateField(_("outcome date"), null=True, blank=True)
    # When the case was registered (valid time, given or now); `created_at` is when the row
    # was written (system time). Figures as of a moment count a case from `registered_at`.
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-reported_on", "-id"]
        indexes = [  # the command dashboard reads the last hour's new and transferred cases
            models.Index(fields=["registered_at"], name="case_registered"),
            models.Index(fields=["transferred_at"], name="case_transferred"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"{self.number} {self.person}"

    @property
    def index_date(self) -> datetime.date:
        """Onset for a symptomatic case, sampling for an asymptomatic one: the look-back anchor."""
        return self.onset_on or self.sampled_on


class Degree(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Secondary contact")


class ExposureRelation(models.TextChoices):
    HOUSEHOLD = "household", _("Same household")
    WORKPLACE = "workplace", _("Workplace")
    MEAL = "meal", _("Shared meal")
    TRANSPORT = "transport", _("Transport")
    VENUE = "venue", _("Same venue (check-in)")
    OTHER = "other", _("Other")


class ContactStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    LOCATED = "located", _("Located")
    UNDER_CONTROL = "under_control", _("Under control")
    RELEASED = "released", _("Released")
    LOST = "lost", _("Lost")


class Contact(models.Model):
    """A person exposed to a case (close) or to a close contact (secondary)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="contact_records")
    degree = models.CharField(_("degree"), max_length=10, choices=Degree.choices)
    via = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="secondary",
        help_text=_("For a secondary contact: the close contact they were exposed to"),
    )
    relation = models.CharField(_("relation"), max_length=12, choices=ExposureRelation.choices)
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL)
    exposure_start = models.DateTimeField(_("exposure from"), null=True, blank=True)
    exposure_end = models.DateTimeField(_("exposure until"), null=True, blank=True)
    last_exposure_on = models.DateField(_("last exposure"))
    overlap_minutes = models.PositiveIntegerField(_("overlap (minutes)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ContactStatus.choices, default=ContactStatus.IDENTIFIED
    )
    became_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="from_contacts"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # When the contact was identified (valid time); `created_at`: when the row was written.
    identified_at = models.DateTimeField(_("identified at"), default=timezone.now)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["case_id", "degree", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person", "degree"], name="contact_once_per_case_and_degree"
            )
        ]
        indexes = [models.Index(fields=["identified_at"], name="contact_identified")]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.person} ← {self.case.number}"


class CheckIn(models.Model):
    """A venue-code scan: who was where, from when to when. Append-only, tens of millions."""

    person = models.ForeignKey(Resident, on_delete=models.DO_NOTHING, db_constraint=False)
    venue = models.ForeignKey(Venue, on_delete=models.DO_NOTHING, db_constraint=False)
    time_in = models.DateTimeField(_("time in"))
    time_out = models.DateTimeField(_("time out"))

    class Meta:
        indexes = [
            models.Index(fields=["venue", "time_in"], name="checkin_venue_time"),
            models.Index(fields=["person", "time_in"], name="checkin_person_time"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "venue", "time_in"], name="checkin_once")
        ]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")

    def __str__(self) -> str:
        return f"{self.person_id}@{self.venue_id} {self.time_in:%Y-%m-%d %H:%M}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class FindingJob(models.Model):
    """Automatic contact finding for one or more cases; candidates await a tracer's decision."""

    cases = models.ManyToManyField(Case, related_name="finding_jobs")
    padding_minutes = models.PositiveIntegerField(_("time padding (minutes)"), default=0)
    include_secondary = models.BooleanField(_("find secondary contacts"), default=False)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()}"


class CandidateDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class Candidate(models.Model):
    job = models.ForeignKey(FindingJob, on_delete=models.CASCADE, related_name="candidates")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    degree = models.CharField(max_length=10, choices=Degree.choices)
    via_person = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="+")
    overlap_start = models.DateTimeField()
    overlap_end = models.DateTimeField()
    overlap_minutes = models.PositiveIntegerField()
    decision = models.CharField(
        max_length=10, choices=CandidateDecision.choices, default=CandidateDecision.PENDING
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["job_id", "degree", "-overlap_minutes", "id"]

    def __str__(self) -> str:
        return f"{self.person} ← {self.case} ({self.overlap_minutes} min)"


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class ContactRequest(models.Model):
    """A contact of a case whose person is registered outside the requester's jurisdiction
    (协查请求). The person's own district, or the city, confirms it (then the contact is made)
    or rejects it, always with a reason; the requester never sees who the person is."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contact_requests")
    person = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    id_number_given = models.CharField(max_length=18, blank=True)  # as typed; "" when found
    name_given = models.CharField(_("name given"), max_length=100, blank=True)
    phone_given = models.CharField(_("phone given"), max_length=20, blank=True)
    degree = models.CharField(_("degree"), max_length=10, choices=Degree.choices)
    via_id_number = models.CharField(max_length=18, blank=True)  # secondary: the close contact
    relation = models.CharField(_("relation"), max_length=12, choices=ExposureRelation.choices)
    venue = models.ForeignKey(Venue, null=True, blank=True, on_delete=models.SET_NULL)
    exposure_start = models.DateTimeField(_("exposure from"), null=True, blank=True)
    exposure_end = models.DateTimeField(_("exposure until"), null=True, blank=True)
    last_exposure_on = models.DateField(_("last exposure"))
    overlap_minutes = models.PositiveIntegerField(_("overlap (minutes)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    candidate = models.ForeignKey(
        Candidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # When the requester identified the contact (valid time, given or now): the contact made
    # on confirmation carries it as its `identified_at`, as a contact added locally would.
    identified_at = models.DateTimeField(_("identified at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)  # the person's
    case_key = models.CharField(max_length=24, db_index=True, editable=False)  # the requester's

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"],
                condition=models.Q(status="pending"),
                name="contact_request_pending_once",
            )
        ]
        verbose_name = _("contact request")
        verbose_name_plural = _("contact requests")

    def __str__(self) -> str:
        return f"#{self.pk} ← {self.case.number}"

    @property
    def id_number_given_masked(self) -> str:
        return mask_id_number(self.id_number_given) if self.id_number_given else ""
