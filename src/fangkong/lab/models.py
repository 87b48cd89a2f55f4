"""Nucleic-acid testing: rounds, sampling sites, tubes (single or pooled), labs and results.

A tube's `division_key` is its sampling site's; a member's is the person's, so coverage and
retest lists reach the community that must act.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.people.models import Resident
from fangkong.places.models import Division


class TurnaroundClass(models.TextChoices):
    """The fastest turnaround a lab commits to. The values are the names of the policy's
    turnaround targets (`testing.turnaround_hours`), whose hours the pages show."""

    FEVER_CLINIC = "fever_clinic", _("Fever-clinic standard")
    OUTPATIENT = "outpatient", _("Outpatient standard")
    ROUTINE = "voluntary", _("Routine standard")


class Lab(models.Model):
    """A testing laboratory (检测机构): where it is (`division`), the area whose tubes it takes
    (`area`), how many tubes a day it can test, and its staff (accounts with the lab role, who
    see only their own labs' tubes and upload only their results)."""

    code = models.CharField(_("lab code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="labs")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    area = models.ForeignKey(
        Division,
        verbose_name=_("area served"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="labs_serving",
    )
    area_key = models.CharField(max_length=24, blank=True, db_index=True, editable=False)
    capacity_per_day = models.PositiveIntegerField(
        _("capacity per day (tubes)"), null=True, blank=True
    )
    turnaround = models.CharField(
        _("turnaround class"),
        max_length=16,
        choices=TurnaroundClass.choices,
        default=TurnaroundClass.ROUTINE,
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    active = models.BooleanField(_("active"), default=True)
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="labs")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("laboratory")
        verbose_name_plural = _("laboratories")

    def __str__(self) -> str:
        return self.name

    @property
    def served_key(self) -> str:
        """The key of the area served: `area`, or the lab's own place when none is named."""
        return self.area_key or self.division_key


class SamplingSite(models.Model):
    code = models.CharField(_("site code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="sampling_sites")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sampling site")
        verbose_name_plural = _("sampling sites")

    def __str__(self) -> str:
        return self.name


class RoundStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    CLOSED = "closed", _("Closed")


class TestingRound(models.Model):
    """A round of mass testing (全员核酸/区域核查) over a jurisdiction subtree.

    Two times on every fact: `starts_at` is when it started (or is planned to), `closed_at`
    when it closed (valid times, typed or sent, now by default); `created_at` is when it was
    entered. The figures as of a moment read the valid times."""

    name = models.CharField(pgettext_lazy("of a thing", "name"), max_length=200)
    area = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="testing_rounds")
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    pool_size = models.PositiveSmallIntegerField(_("pool size"))
    reason = models.CharField(_("reason"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    deadline = models.DateTimeField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN
    )
    sites = models.ManyToManyField(SamplingSite, related_name="rounds", blank=True)
    profile_code = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("testing round")
        verbose_name_plural = _("testing rounds")

    def __str__(self) -> str:
        return self.name


class Purpose(models.TextChoices):
    ROUND = "round", _("Mass-testing round")
    RETEST = "retest", _("Single-tube retest")
    ARRIVAL = "arrival", _("Arrival test")
    RISK_POST = "risk_post", _("Risk-post testing")
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    OUTPATIENT = "outpatient", _("Outpatient")
    VOLUNTARY = "voluntary", _("Voluntary")


class TubeStatus(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    SENT = "sent", _("Sent to lab")
    RECEIVED = "received", _("Received at lab")
    TESTED = "tested", _("Tested")


class TubeFill(models.TextChoices):
    """Whether people may still be sampled into a tube at its site."""

    OPEN = "open", pgettext_lazy("tube", "Open")
    SEALED = "sealed", pgettext_lazy("tube", "Sealed")


class Outcome(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class Tube(models.Model):
    """A sample tube: one person (single) or up to `capacity` people (pooled N-in-1).

    `status` is the chain of custody (collected → sent → received); the lab's finding is a
    `Result` row of its own, and a tube with one counts as tested (`state`). `fill` says
    whether the sampling site is still filling it: a tube is opened empty, sealed when its
    pool is full, by hand or when it is sent, and may be reopened (with a reason) while it is
    still at the site. Open tubes are rows, not a phone's session: any sampler of the site
    continues them.
    """

    barcode = models.CharField(_("tube barcode"), max_length=40, unique=True)
    capacity = models.PositiveSmallIntegerField(_("pool size"), default=1)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    round = models.ForeignKey(
        TestingRound, null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    site = models.ForeignKey(
        SamplingSite, null=True, blank=True, on_delete=models.PROTECT, related_name="tubes"
    )
    lab = models.ForeignKey(Lab, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=TubeStatus.choices, default=TubeStatus.COLLECTED
    )
    fill = models.CharField(
        _("open or sealed"), max_length=8, choices=TubeFill.choices, default=TubeFill.SEALED
    )
    sealed_at = models.DateTimeField(_("sealed at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # When the tube was entered (system time); `collected_at` is when it was taken.
    recorded_at = models.DateTimeField(_("recorded at"), db_default=Now(), editable=False)

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["round", "status"], name="tube_round_status"),
            models.Index(
                fields=["division_key", "collected_at"],
                condition=models.Q(fill="open"),
                name="tube_open_place",
            ),
        ]
        verbose_name = _("tube")
        verbose_name_plural = _("tubes")

    def __str__(self) -> str:
        return self.barcode

    @property
    def has_result(self) -> bool:
        """Whether a result is stored (no query when loaded with select_related("result"))."""
        return hasattr(self, "result")

    @property
    def state(self) -> str:
        """Custody status, or "tested" once the tube has a result."""
        return TubeStatus.TESTED if self.has_result else self.status

    def get_state_display(self) -> str:
        return str(TubeStatus(self.state).label)

    @property
    def is_open(self) -> bool:
        """Still being filled at its site: open, collected, no result."""
        return self.fill == TubeFill.OPEN and self.state == TubeStatus.COLLECTED


class TubeMember(models.Model):
    tube = models.ForeignKey(Tube, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="samples")
    round = models.ForeignKey(
        TestingRound, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sampled_at = models.DateTimeField(_("sampled at"))  # when it happened (valid time)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    # When the sampling was entered (system time).
    recorded_at = models.DateTimeField(_("recorded at"), db_default=Now(), editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tube", "person"], name="tube_member_once"),
            models.UniqueConstraint(fields=["round", "person"], name="member_once_a_round"),
        ]
        indexes = [
            models.Index(fields=["round", "division_key"], name="member_round_place"),
            models.Index(fields=["person", "sampled_at"], name="member_person_time"),
        ]
        verbose_name = _("tube member")
        verbose_name_plural = _("tube members")

    def __str__(self) -> str:
        return f"{self.tube_id}:{self.person_id}"


class RoundTally(models.Model):
    """A round's running figures per place where its people live (their own node): people
    sampled, and of those, people whose tube has a result.

    Kept in step in the same transaction by sampling (`services.tube_add_member`) and by
    result uploads (`tally.results_tallied`), so coverage reads one row per unit instead of
    every member of a round of a million people (`fangkong.lab.tally`).
    """

    round = models.ForeignKey(
        TestingRound, on_delete=models.CASCADE, db_index=False, related_name="tallies"
    )
    division_key = models.CharField(max_length=24)
    sampled = models.PositiveIntegerField(default=0)
    resulted = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "division_key"], name="round_tally_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.division_key}: {self.resulted}/{self.sampled}"


class ControlStatus(models.TextChoices):
    ACTIVE = "active", _("Under temporary control")
    CLEARED = "cleared", _("Cleared")


class TemporaryControl(models.Model):
    """A member of a positive pool, held at home until their single-tube retest is negative."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="controls")
    source_tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="controls")
    status = models.CharField(
        max_length=8, choices=ControlStatus.choices, default=ControlStatus.ACTIVE
    )
    since = models.DateTimeField(_("since"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["-since"]
        verbose_name = _("temporary control")
        verbose_name_plural = _("temporary controls")

    def __str__(self) -> str:
        return f"{self.person} ({self.get_status_display()})"


class RetestStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for home sampling")
    SAMPLED = "sampled", _("Sampled")
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")


class Retest(models.Model):
    """A single-tube retest owed by a member of a positive pool (home sampling list)."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="retests")
    source_tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="retests")
    tube = models.ForeignKey(
        Tube, null=True, blank=True, on_delete=models.SET_NULL, related_name="retest_of"
    )
    status = models.CharField(
        max_length=10, choices=RetestStatus.choices, default=RetestStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)

    class Meta:
        ordering = ["status", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "source_tube"], name="retest_once"),
        ]
        verbose_name = _("retest")
        verbose_name_plural = _("retests")

    def __str__(self) -> str:
        return f"{self.person} ← {self.source_tube}"


class ResultUpload(models.Model):
    """One results file or FHIR Bundle from a lab; its digest makes re-uploads idempotent."""

    lab = models.ForeignKey(Lab, on_delete=models.PROTECT, related_name="uploads")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=300, blank=True)
    format = models.CharField(max_length=8)  # csv, xlsx, fhir
    rows = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "sha256"], name="result_upload_once"),
        ]

    def __str__(self) -> str:
        return f"{self.lab} {self.filename or self.sha256[:8]}"


class Result(models.Model):
    """A tube's result as its lab reported it: appended once per tube and never changed.

    Keyed by the tube's barcode, so an upload is written straight from the file with COPY and
    then checked against the tubes in one join (`fangkong.lab.results.ingest`). Neither key has a
    database foreign-key constraint: a per-row check would cost more than the whole import,
    and the import checks every row set-wise before it commits. On PostgreSQL the barcode uses
    the "C" collation and `upload` a BRIN index (see migration 0004).
    """

    tube = models.OneToOneField(
        Tube,
        on_delete=models.PROTECT,
        to_field="barcode",
        db_column="barcode",
        primary_key=True,
        db_constraint=False,
        related_name="result",
    )
    upload = models.ForeignKey(
        ResultUpload,
        on_delete=models.PROTECT,
        db_constraint=False,
        db_index=False,
        related_name="results",
    )
    outcome = models.CharField(_("result"), max_length=10, choices=Outcome.choices)
    ct_value = models.FloatField(_("Ct value"), null=True, blank=True)
    tested_at = models.DateTimeField(_("tested at"))

    class Meta:
        verbose_name = _("test result")
        verbose_name_plural = _("Lab results")

    def __str__(self) -> str:
        return f"{self.tube_id}: {self.get_outcome_display()}"


class RiskPostGroup(models.TextChoices):
    """Keys of the active profile's rules.risk_posts (how often each group is tested)."""

    GROUP_1 = "group_1", _("Group 1 (quarantine sites, fever clinics, border)")
    GROUP_2 = "group_2", _("Group 2 (supermarkets, couriers, delivery)")


class RiskPostWorker(models.Model):
    """A person working a risk post (重点岗位), tested at the profile's frequency for the group."""

    person = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="risk_posts")
    employer = models.CharField(_("employer"), max_length=200)
    post = models.CharField(_("post"), max_length=200)
    group = models.CharField(_("group"), max_length=8, choices=RiskPostGroup.choices)
    active = models.BooleanField(_("active"), default=True)
    division_key = models.CharField(max_length=24, db_index=True, editable=False)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)

    class Meta:
        ordering = ["employer", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "employer"], name="risk_post_once"),
        ]
        verbose_name = _("risk-post worker")
        verbose_name_plural = _("risk-post workers")

    def __str__(self) -> str:
        return f"{self.person} ({self.employer})"
