import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.audit import labels


class Event(models.Model):
    """An immutable record of a change: who, when, what, from → to, why, on what basis.

    Two times (docs/architecture.md, "Two times on every fact"): `at` is when the change
    happened (valid time: given by the user or the import, now by default), `recorded_at` when
    the platform recorded it (system time: set by the database's clock on a columnar write,
    never editable). Every figure as of a moment reads `at`."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    recorded_at = models.DateTimeField(
        _("recorded at"), default=timezone.now, db_default=Now(), editable=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object"), max_length=64)
    object_label = models.CharField(max_length=200, blank=True)
    person_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    division_key = models.CharField(max_length=24, blank=True, db_index=True)
    field = models.CharField(_("field"), max_length=64, blank=True)
    from_value = models.CharField(_("from"), max_length=300, blank=True)
    to_value = models.CharField(_("to"), max_length=300, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_label}"

    # What a person reads: every code as a label in their language (and `audit.labels`).

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def field_label(self) -> str:
        label = OBJECT_FIELD_LABELS.get((self.object_type, self.field))
        return str(label) if label else str(FIELD_LABELS.get(self.field, self.field))

    @property
    def actor_label(self) -> str:
        return labels.actor_label(self.actor_name)

    @property
    def from_label(self) -> str:
        return labels.value_label(self.action, self.object_type, self.field, self.from_value)

    @property
    def to_label(self) -> str:
        return labels.value_label(self.action, self.object_type, self.field, self.to_value)

    @property
    def reason_label(self) -> str:
        return labels.reason_label(self.action, self.reason)

    @property
    def delay(self) -> dt.timedelta:
        """How long after it happened the change was recorded (never negative)."""
        if self.recorded_at is None or self.at is None:
            return dt.timedelta(0)
        return max(self.recorded_at - self.at, dt.timedelta(0))


ACTION_LABELS = {
    "resident.created": _("Resident registered"),
    "resident.updated": _("Resident changed"),
    "residents.imported": _("Residents imported"),
    "checkins.imported": _("Venue check-ins imported"),
    "household.created": _("Household registered"),
    "household.updated": _("Household changed"),
    "pii.revealed": _("Identifier revealed"),
    "pii.exported": _("Identifiers revealed in an export"),
    "key_person.added": _("Added to key-person ledger"),
    "key_person.removed": _("Removed from key-person ledger"),
    "key_persons.exported": _("Key-person ledger exported"),
    "need.added": _("Need recorded"),
    "need.fulfilled": _("Need met"),
    "need.cancelled": _("Need cancelled"),
    "policy.activated": _("Policy profile activated"),
    "policy.in_force": _("Policy profile came into force"),
    "policy.activation_withdrawn": _("Policy profile activation withdrawn"),
    "policy.drafted": _("Policy profile draft made"),
    "policy.draft_changed": _("Policy profile draft changed"),
    "policy.draft_discarded": _("Policy profile draft discarded"),
    "finding_job.created": _("Contact finding started"),
    "candidate.confirmed": _("Contact-finding candidate confirmed"),
    "candidate.dismissed": _("Contact-finding candidate dismissed"),
    "code.changed": _("Health-code colour changed"),
    "code.overridden": _("Health-code colour set by hand"),
    "code.override_revoked": _("Manual health-code setting revoked"),
    "appeal.filed": _("Health-code appeal filed"),
    "appeal.decided": _("Health-code appeal decided"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
    "login.failed": _("Failed log-in (wrong password)"),
    "two_factor.enrolled": _("Two-factor authentication turned on"),
    "two_factor.removed": _("Two-factor authentication removed"),
    "two_factor.failed": _("Wrong two-factor code"),
    "two_factor.recovery_used": _("Recovery code used to log in"),
    "two_factor.recovery_regenerated": _("New recovery codes made"),
    "venue.created": _("Venue registered"),
    "division.created": _("Place added"),
    "division.renamed": _("Place renamed"),
    "case.registered": _("Case registered"),
    "case.reclassified": _("Case reclassified"),
    "case.transferred": _("Case transferred"),
    "case.closed": _("Case closed"),
    "contact.added": _("Contact added"),
    "contact.status_changed": _("Contact status changed"),
    "contact.converted": _("Contact became a case"),
    "contacts.imported": _("Contacts imported"),
    "situation.imported": _("Situation line list imported"),
    "contact_request.created": _("Contact sent to their jurisdiction for confirmation"),
    "contact_request.confirmed": _("Contact request confirmed"),
    "contact_request.rejected": _("Contact request rejected"),
    "round.started": _("Testing round started"),
    "round.closed": _("Testing round closed"),
    "risk_post.registered": _("Risk-post worker registered"),
    "risk_post.left": _("Risk-post worker left the post"),
    "site.created": _("Sampling site added"),
    "lab.registered": _("Laboratory registered"),
    "lab.updated": _("Laboratory changed"),
    "lab.staff_changed": _("Laboratory staff changed"),
    "lab.suspended": _("Laboratory suspended"),
    "lab.reopened": _("Laboratory reopened"),
    "care.facility_registered": _("Medical facility registered"),
    "care.facility_updated": _("Medical facility changed"),
    "care.facility_staff_changed": _("Medical facility staff changed"),
    "care.facility_suspended": _("Medical facility suspended"),
    "care.facility_reopened": _("Medical facility back in service"),
    "care.request_raised": _("Medical request raised"),
    "care.request_routed": _("Medical request routed"),
    "care.request_accepted": _("Medical request accepted"),
    "care.request_completed": _("Medical request completed"),
    "care.request_cancelled": _("Medical request cancelled"),
    "care.plan_created": _("Health plan created"),
    "care.plan_changed": _("Health plan changed"),
    "care.need_added": _("Standing need added"),
    "care.need_changed": _("Standing need changed"),
    "care.course_saved": _("Medicine on hand recorded"),
    "care.course_supplied": _("Medicine supply topped up"),
    "care.medicine_needed": _("Medicine order raised"),
    "care.medicine_batched": _("Medicine order batched"),
    "care.medicine_substitute": _("Medicine substitute proposed"),
    "care.medicine_substitute_accepted": _("Medicine substitute accepted"),
    "care.medicine_substitute_declined": _("Medicine substitute declined"),
    "care.medicine_sourced": _("Medicine sourced"),
    "care.medicine_delivered": _("Medicine delivered"),
    "care.medicine_confirmed": _("Medicine received"),
    "care.medicine_cancelled": _("Medicine order cancelled"),
    "care.line_added": _("Direct line added"),
    "care.line_changed": _("Direct line changed"),
    "care.line_removed": _("Direct line removed"),
    "care.vehicle_registered": _("120 vehicle registered"),
    "care.dispatch_transferred": _("Emergency taken over from 110"),
    "care.dispatch_assigned": _("120 vehicle assigned"),
    "care.dispatch_picked_up": _("120 patient picked up"),
    "care.dispatch_arrived": _("120 arrived at the hospital"),
    "care.dispatch_handed_over": _("120 patient handed over"),
    "care.incident_recorded": _("First-diagnosis incident recorded and escalated"),
    "assistance.filed": _("Assistance application filed"),
    "assistance.document_added": _("Assistance document uploaded"),
    "assistance.reviewed": _("Assistance application reviewed"),
    "assistance.approved": _("Assistance application approved"),
    "assistance.refused": _("Assistance application refused"),
    "assistance.withdrawn": _("Assistance application withdrawn"),
    "assistance.paid": _("Assistance payment recorded"),
    "care.incident_resolved": _("First-diagnosis incident resolved"),
    "hotline.request_taken": _("Citizen request taken"),
    "hotline.request_dispatched": _("Citizen request dispatched"),
    "hotline.request_recategorised": _("Citizen request's category corrected"),
    "hotline.request_accepted": _("Citizen request accepted by the department"),
    "hotline.request_noted": _("Progress noted on a citizen request"),
    "hotline.request_completed": _("Citizen request completed by the department"),
    "hotline.request_confirmed": _("Citizen request confirmed solved by the caller"),
    "hotline.request_reopened": _("Citizen request sent back: not solved, says the caller"),
    "hotline.request_merged": _("Citizen request merged into its case"),
    "hotline.request_cancelled": _("Citizen request cancelled"),
    "hotline.escalated": _("Late citizen request escalated"),
    "hotline.department_registered": _("Department registered"),
    "tube.opened": _("Tube opened"),
    "tube.member_added": _("Person sampled into a tube"),
    "tube.sealed": _("Tube sealed"),
    "tube.reopened": _("Tube reopened"),
    "tube.sent": _("Tube sent to the lab"),
    "tube.received": _("Tube received at the lab"),
    "retest.sampled": _("Retest sampled"),
    "results.uploaded": _("Test results uploaded"),
    "tube.resulted": _("Tube result recorded"),
    "pool.positive": _("Pooled tube positive"),
    "retest.created": _("Single-tube retest owed"),
    "retest.resulted": _("Retest result recorded"),
    "control.started": _("Put under temporary control"),
    "control.cleared": _("Temporary control cleared"),
    "measure.started": _("Control measure started"),
    "measure.replanned": _("Control measure re-planned under a new profile"),
    "measure.closed": _("Control measure closed"),
    "measure.handed_to_community": _("Handed to the community for home measures"),
    "measure.test_sampled": _("Scheduled test sampled"),
    "test.sampled": _("Scheduled test sampled"),
    "test.missed": _("Scheduled test missed"),
    "test.resulted": _("Scheduled test result recorded"),
    "health_check.recorded": _("Daily health check recorded"),
    "health_check.missed": _("Daily health check missed"),
    "health_alert.raised": _("Health alert raised"),
    "health_alert.handled": _("Health alert handled"),
    "site.registered": _("Quarantine site registered"),
    "site.staff_changed": _("Quarantine site staff changed"),
    "site.closed": _("Quarantine site closed or suspended"),
    "site.reopened": _("Quarantine site in use again"),
    "rooms.added": _("Rooms added"),
    "room.status_changed": _("Room status changed"),
    "allocation.proposed": _("Room allocation proposed"),
    "allocation.lines_removed": _("People taken out of an allocation"),
    "allocation.cancelled": _("Room allocation cancelled"),
    "allocation.confirmed": _("Room allocation confirmed"),
    "stay.allocated": _("Room allocated"),
    "stay.checked_in": _("Checked in to the room"),
    "stay.moved": _("Moved to another room"),
    "stay.ended": _("Left the room"),
    "transfer.requested": _("Closed-loop transfer requested"),
    "transfer.departed": _("Closed-loop transfer departed"),
    "transfer.handed_over": _("Closed-loop transfer handed over"),
    "transfer.cancelled": _("Closed-loop transfer cancelled"),
    "trip.reported": _("Trip reported"),
    "trip.arrived": _("Arrival recorded"),
    "trip.handed_over": _("Traveller handed to the destination community"),
    "trip.completed": _("Trip completed"),
    "handover.acknowledged": _("Arrival hand-over acknowledged"),
    "zone.drawn": _("Risk zone drawn"),
    "zone.activated": _("Risk zone put in force"),
    "zone.withdrawn": _("Proposed risk zone withdrawn"),
    "zone.extended": _("Risk zone extended"),
    "zone.level_changed": _("Risk zone level changed"),
    "zone.change_proposed": _("Risk zone change proposed"),
    "zone.change_rejected": _("Proposed risk zone change rejected"),
    "zone.round_started": _("Testing round started for a risk zone"),
    "command.exported": _("Dashboard list exported"),
    "command.report_issued": _("Daily report issued"),
    "command.report_reissued": _("Daily report issued again"),
    "enterprise.registered": _("Supply enterprise registered"),
    "enterprise.staff_changed": _("Supply enterprise staff changed"),
    "enterprise.whitelist_granted": _("Supply enterprise granted on the whitelist"),
    "enterprise.whitelist_suspended": _("Supply enterprise suspended from the whitelist"),
    "enterprise.whitelist_revoked": _("Supply enterprise revoked from the whitelist"),
    "courier.registered": _("Courier registered"),
    "courier.whitelist_granted": _("Courier granted on the whitelist"),
    "courier.whitelist_suspended": _("Courier suspended from the whitelist"),
    "courier.whitelist_revoked": _("Courier revoked from the whitelist"),
    "vehicle.registered": _("Supply vehicle registered"),
    "vehicle.whitelist_granted": _("Supply vehicle granted on the whitelist"),
    "vehicle.whitelist_suspended": _("Supply vehicle suspended from the whitelist"),
    "vehicle.whitelist_revoked": _("Supply vehicle revoked from the whitelist"),
    "pass.issued": _("Supply pass issued"),
    "pass.revoked": _("Supply pass revoked"),
    "signing_key.rotated": _("Pass-signing key rotated"),
    "store.registered": _("Price reporting store registered"),
    "necessity.changed": _("Necessity of the price catalogue changed"),
    "price.reported": _("Price and stock reported"),
    "prices.imported": _("Price reports imported"),
    "price_alert.opened": _("Price alert opened (red light)"),
    "price_alert.acknowledged": _("Price alert acknowledged"),
    "price_alert.resolved": _("Price alert resolved"),
    "receiving_point.registered": _("Receiving point registered"),
    "receiving_point.changed": _("Receiving point changed"),
    "product.saved": _("Supply package or item saved"),
    "order.placed": _("Supply order placed"),
    "order.cancelled": _("Supply order cancelled"),
    "batch.assigned": _("Order batch assigned to an enterprise"),
    "order.accepted": _("Supply order accepted by the enterprise"),
    "order.dispatched": _("Supply order dispatched"),
    "order.at_point": _("Supply order at the receiving point"),
    "order.delivered": _("Supply order delivered to the door"),
    "order.problem": _("Problem with a supply order"),
}

FIELD_LABELS = {
    "name": _("name"),
    "phone": _("phone"),
    "contact_phone": _("contact phone"),
    "id_number": _("ID number"),
    "division": _("place"),
    "household": _("household"),
    "relation": _("relation to head"),
    "category": _("category"),
    "status": _("status"),
    "outcome": _("test result"),
    "next_due": _("next due"),
    "decision": _("decision"),
    "active_profile": _("active policy profile"),
    "colour": _("health-code colour"),
    "kind": _("classification"),
    "destination": _("transferred to"),
    "degree": _("degree"),
    "became_case": _("became case"),
    "level": _("risk level"),
    "places": _("places"),
    "ends_on": _("last day"),
    "room": _("room"),
    "address": _("address"),
    "active": _("status"),
    "phase": _("phase"),
    "staff": _("staff"),
    "temperature": _("temperature and symptoms"),
    "missed": _("check missed"),
    "acknowledged_at": _("acknowledged at"),
    "area": _("area served"),
    "capacity_per_day": _("capacity per day (tubes)"),
    "turnaround": _("turnaround class"),
    "contact_name": _("contact person"),
    "fill": _("open or sealed"),
    "tube": _("tube"),
}
# Where a field's name means something else on one kind of object.
OBJECT_FIELD_LABELS = {
    ("lab.riskpostworker", "active"): _("on the post"),
    ("quarantine.site", "staff"): _("site staff"),
    ("quarantine.site", "active"): _("in use"),
    ("lab.lab", "staff"): _("lab staff"),
    ("supplies.enterprise", "status"): _("whitelist status"),
    ("supplies.courier", "status"): _("whitelist status"),
    ("supplies.vehicle", "status"): _("whitelist status"),
    ("supplies.enterprise", "staff"): _("enterprise staff"),
    ("supplies.supplypass", "status"): _("pass status"),
    ("supplies.signingkey", "kid"): _("signing key"),
    ("care.facility", "staff"): _("facility staff"),
    ("hotline.hotlinerequest", "escalation_level"): _("escalations"),
    ("hotline.department", "kind"): _("kind of department"),
    ("care.facility", "kind"): _("kind of facility"),
    ("care.facility", "capabilities"): _("what it can treat"),
    ("care.healthplan", "contact_hospital"): _("contact hospital"),
    ("care.healthplan", "emergency"): _("what to do in an emergency"),
    ("care.healthplan", "note"): _("note"),
    ("care.standingneed", "type"): _("need"),
    ("care.standingneed", "description"): _("description"),
    ("care.standingneed", "facility"): _("where"),
    ("care.standingneed", "repeat"): _("repeats"),
    ("care.standingneed", "weekdays"): _("days of the week"),
    ("care.standingneed", "every_days"): _("every (days)"),
    ("care.standingneed", "starts_on"): _("first day"),
    ("care.medicinecourse", "runs_out_on"): _("runs out on"),
    ("care.dispatch", "stage"): _("stage of the 120 dispatch"),
    ("care.incident", "kind"): _("kind of incident"),
    ("assistance.application", "status"): _("application status"),
    ("assistance.application", "documents"): _("document"),
    ("assistance.application", "amount"): _("amount paid (yuan)"),
    ("care.incident", "resolution"): _("how it was resolved"),
    ("supplies.order", "status"): _("order status"),
    ("supplies.order", "problem"): _("problem found"),
    ("supplies.orderbatch", "enterprise"): _("assigned to"),
    ("supplies.product", "price"): _("price (yuan)"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
