"""Risk-post workers (重点岗位人员): registering them and taking them off the list.

Who among them is overdue for a test is read in selectors.py.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core.access import Cap, in_scope, require
from fangkong.core.errors import field_error
from fangkong.lab.models import RiskPostGroup, RiskPostWorker
from fangkong.people.models import Resident
from fangkong.policy.accessor import current


@transaction.atomic
def risk_post_register(
    *, actor: Any, person: Resident, employer: str, post: str, group: str
) -> RiskPostWorker:
    """Register `person` at a risk post (or re-activate them at the same employer).

    The registry keepers do this (street/community staff, grid workers, task forces, the
    command centre), not the labs and sites that only sample the workers."""
    require(actor, Cap.RISK_POSTS_EDIT)
    if not in_scope(actor, person.division_key):
        raise field_error("person", _("No resident with this ID number in your jurisdiction"))
    employer = (employer or "").strip()[:200]
    post = (post or "").strip()[:200]
    if not employer:
        raise field_error("employer", _("Name the employer"))
    if not post:
        raise field_error("post", _("Name the post"))
    if group not in RiskPostGroup.values or group not in current().rules.risk_posts:
        raise field_error("group", _("Choose a risk-post group"))
    worker = RiskPostWorker.objects.filter(person=person, employer=employer).first()
    if worker is not None and worker.active:
        raise field_error("employer", _("This person is already registered at this employer"))
    if worker is None:
        try:
            with transaction.atomic():
                worker = RiskPostWorker.objects.create(
                    person=person,
                    employer=employer,
                    post=post,
                    group=group,
                    division_key=person.division_key,
                )
        except IntegrityError:
            raise field_error(
                "employer", _("This person is already registered at this employer")
            ) from None
    else:
        worker.post, worker.group, worker.active = post, group, True
        worker.division_key = person.division_key
        worker.registered_at = timezone.now()
        worker.save(update_fields=["post", "group", "active", "division_key", "registered_at"])
    event_record(
        actor=actor,
        action="risk_post.registered",
        obj=worker,
        person_id=person.pk,
        data={"employer": employer, "post": post, "group": group},
    )
    return worker


@transaction.atomic
def risk_post_leave(*, actor: Any, worker: RiskPostWorker, reason: str = "") -> RiskPostWorker:
    """The worker no longer works the post: they drop off the overdue list."""
    require(actor, Cap.RISK_POSTS_EDIT)
    if not in_scope(actor, worker.division_key):
        raise field_error("worker", _("This worker is outside your jurisdiction"))
    if not worker.active:
        raise field_error("worker", _("This worker has already left the post"))
    worker.active = False
    worker.save(update_fields=["active"])
    event_record(
        actor=actor,
        action="risk_post.left",
        obj=worker,
        person_id=worker.person_id,
        field="active",
        from_value=True,
        to_value=False,
        reason=(reason or "").strip(),
    )
    return worker
