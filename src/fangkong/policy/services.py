"""Writes of the policy app: shipped profiles, drafts, activations from a date, uploads.

A version is written while it is a draft (`is_draft`); activating it freezes it. Callers check
who may write (`may_activate`: a city-wide command centre); each write is audited.
"""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.services import event_record
from fangkong.core import changes
from fangkong.core.access import Cap, acting_user, can, is_city_wide
from fangkong.core.errors import field_error
from fangkong.policy import accessor, documents
from fangkong.policy.compare import differences
from fangkong.policy.models import PolicyActivation, PolicyProfile
from fangkong.policy.schema import Rules
from fangkong.policy.validation import Problem, normalised, rules_problems

SHIPPED_DIR = Path(__file__).parent / "profiles"
DEFAULT_ACTIVE = "20-measures"
META_FIELDS = ("name_zh", "name_en", "issued_by", "published_on", "source")


class VersionLocked(ValidationError):
    """A version that has been activated (or was shipped) is never changed again."""

    def __init__(self, profile: PolicyProfile) -> None:
        super().__init__(
            _(
                "%(profile)s is no longer a draft: a version is fixed once activated, so that "
                "everything made under it keeps meaning what it did. Copy it to a new version "
                "to change it."
            )
            % {"profile": profile.label}
        )


class RulesInvalid(ValidationError):
    """The problems of a document, each at its path (`problems`; `rules.…` for the rules)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(
            {p.path or "rules": [ValidationError(p.message)] for p in problems}
            if problems
            else _("Invalid rules")
        )


def shipped_documents() -> list[dict[str, Any]]:
    return [json.loads(p.read_text("utf-8")) for p in sorted(SHIPPED_DIR.glob("*.json"))]


def profiles_install_shipped(*, using: str = "default") -> int:
    """Insert shipped profiles that are missing (by code and version); activate one if none is."""
    created = 0
    objects = PolicyProfile.objects.using(using)
    for doc in shipped_documents():
        Rules.model_validate(doc["rules"])
        _, was_created = objects.get_or_create(
            code=doc["code"], version=doc["version"], defaults=doc
        )
        created += was_created
    if not objects.filter(is_active=True).exists():
        first = objects.filter(code=DEFAULT_ACTIVE).order_by("-version").first()
        if first is not None:
            objects.filter(pk=first.pk).update(is_active=True, activated_at=timezone.now())
    return created


def may_activate(user: Any) -> bool:
    """The profiles rule the whole city: only a city-wide command centre writes them."""
    return can(user, Cap.POLICY_MANAGE) and is_city_wide(user)


def _checked(rules: Any, prefix: tuple[str, ...] = ("rules",)) -> dict[str, Any]:
    parsed, problems = rules_problems(rules)
    if parsed is None:
        raise RulesInvalid([Problem((*prefix, *p.loc), p.message) for p in problems])
    return normalised(parsed)


def _next_version(code: str) -> int:
    # Two copies made at the same instant would take the same number: the unique constraint
    # (code, version) refuses the second.
    return (PolicyProfile.objects.filter(code=code).aggregate(n=Max("version"))["n"] or 0) + 1


# Drafts ---------------------------------------------------------------------------------------


@transaction.atomic
def profile_copy(*, profile: PolicyProfile, actor: Any) -> PolicyProfile:
    """A new draft version of `profile`'s code, with its names and rules."""
    draft = PolicyProfile.objects.create(
        code=profile.code,
        version=_next_version(profile.code),
        **{f: getattr(profile, f) for f in META_FIELDS},
        rules=profile.rules,
        is_draft=True,
        based_on=profile,
        created_by=acting_user(actor),
    )
    event_record(
        actor=actor,
        action="policy.drafted",
        obj=draft,
        from_value=profile.reference,
        to_value=draft.reference,
        basis=profile.source,
    )
    return draft


def _locked_draft(profile: PolicyProfile) -> PolicyProfile:
    locked = PolicyProfile.objects.select_for_update().get(pk=profile.pk)
    if not locked.is_draft:
        raise VersionLocked(locked)
    return locked


@transaction.atomic
def profile_update(
    *, profile: PolicyProfile, actor: Any, rules: Any = None, **meta: Any
) -> PolicyProfile:
    """Change a draft: its rules (validated: `RulesInvalid` names each problem) and names.
    An activated version is refused (`VersionLocked`)."""
    unknown = set(meta) - set(META_FIELDS)
    if unknown:
        raise TypeError(f"not a field of a profile: {', '.join(sorted(unknown))}")
    draft = _locked_draft(profile)
    changed = {f for f, v in meta.items() if v is not None and getattr(draft, f) != v}
    for f in changed:
        setattr(draft, f, meta[f])
    rule_changes: list[str] = []
    if rules is not None:
        stored = _checked(rules)
        rule_changes = [d.path for d in differences(draft.rules, stored) if d.differs]
        draft.rules = stored
    if not changed and not rule_changes:
        return draft
    draft.updated_at = timezone.now()
    draft.save()
    event_record(
        actor=actor,
        action="policy.draft_changed",
        obj=draft,
        basis=draft.source,
        data={
            "fields": sorted(changed),
            "rules": rule_changes[:100],
            "rules_changed": len(rule_changes),
        },
    )
    profile.refresh_from_db()
    return draft


@transaction.atomic
def profile_discard(*, profile: PolicyProfile, actor: Any) -> None:
    """Delete a draft (nothing was ever made under it)."""
    draft = _locked_draft(profile)
    event_record(
        actor=actor,
        action="policy.draft_discarded",
        object_type=draft._meta.label_lower,
        object_id=str(draft.pk),
        from_value=draft.reference,
        basis=draft.source,
    )
    draft.delete()


@transaction.atomic
def profile_upload(
    *, actor: Any, content: bytes, filename: str, into: PolicyProfile | None = None
) -> PolicyProfile:
    """A YAML or JSON document (as downloaded) as a new draft of its code, or into the draft
    `into`. Every problem is named by its path (`RulesInvalid`); nothing is written then."""
    doc, problems = documents.parse(content, filename)
    if doc is None:
        raise RulesInvalid(problems)
    meta, problems = documents.metadata(doc)
    rules_problems_found: list[Problem] = []
    try:
        rules = _checked(doc.get("rules"))
    except RulesInvalid as exc:
        rules_problems_found = exc.problems
    if into is not None and meta is not None and meta.code != into.code:
        problems.append(
            Problem(
                ("code",),
                _("This draft is of %(code)s: the file must be too") % {"code": into.code},
            )
        )
    if problems or rules_problems_found or meta is None:
        raise RulesInvalid(problems + rules_problems_found)
    fields = {f: getattr(meta, f) for f in META_FIELDS}
    if into is not None:
        return profile_update(profile=into, actor=actor, rules=rules, **fields)
    draft = PolicyProfile.objects.create(
        code=meta.code,
        version=_next_version(meta.code),
        **fields,
        rules=rules,
        is_draft=True,
        created_by=acting_user(actor),
    )
    event_record(
        actor=actor,
        action="policy.drafted",
        obj=draft,
        to_value=draft.reference,
        basis=draft.source,
        data={"uploaded": filename[:200]},
    )
    return draft


# Activation -----------------------------------------------------------------------------------


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


@transaction.atomic
def profile_activate(
    *, profile: PolicyProfile, actor: Any, reason: str, effective_on: dt.date | None = None
) -> PolicyActivation | None:
    """Put `profile` in force from the start of `effective_on` (today or empty: from now).

    The version is frozen from here on. From now, the switch happens at once (measures are
    re-planned, codes re-derived); from a later day, `activations_apply` makes it then, and
    from that moment `accessor.current()` returns it. Activating the version in force now
    does nothing (returns None)."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the policy profile in force changes."))
    now = timezone.now()
    today = timezone.localdate(now)
    if effective_on is not None and effective_on < today:
        raise field_error(
            "effective_on", _("A version is put in force from today or a later day, not before")
        )
    immediate = effective_on is None or effective_on == today
    start = now if immediate else _start_of(effective_on)  # type: ignore[arg-type]
    locked = PolicyProfile.objects.select_for_update().get(pk=profile.pk)
    _checked(locked.rules)
    before = accessor.in_force(start)
    if before.pk == locked.pk:
        if immediate:
            return None
        raise field_error(
            "effective_on",
            _("%(profile)s is already the version in force on that day")
            % {"profile": locked.label},
        )
    if PolicyActivation.objects.filter(
        applied_at__isnull=True, withdrawn_at__isnull=True, effective_from=start
    ).exists():
        raise field_error(
            "effective_on",
            _("Another version is to come into force at the same moment: withdraw it first"),
        )
    activation = PolicyActivation.objects.create(
        profile=locked, effective_from=start, reason=reason, decided_by=acting_user(actor)
    )
    if locked.is_draft:
        locked.is_draft = False
        locked.save(update_fields=["is_draft"])
    event_record(
        actor=actor,
        action="policy.activated",
        obj=locked,
        field="active_profile",
        from_value=before.reference,
        to_value=locked.reference,
        reason=reason,
        basis=locked.source,
        data={"effective_from": start.isoformat(), "activation": activation.pk},
    )
    if immediate:
        activations_apply(now=now, actor=actor, recorded=True)
    return activation


@transaction.atomic
def activation_withdraw(*, activation: PolicyActivation, actor: Any, reason: str) -> None:
    """Call off an activation that has not come into force (the version stays fixed)."""
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("Say why the activation is withdrawn."))
    locked = (
        PolicyActivation.objects.select_for_update().select_related("profile").get(pk=activation.pk)
    )
    if locked.applied_at is not None or locked.withdrawn_at is not None:
        raise ValidationError(_("Only an activation still to come can be withdrawn"))
    if locked.effective_from <= timezone.now():
        raise ValidationError(_("This activation is already in force"))
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = acting_user(actor)
    locked.withdraw_reason = reason
    locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    event_record(
        actor=actor,
        action="policy.activation_withdrawn",
        obj=locked.profile,
        field="active_profile",
        from_value=locked.profile.reference,
        reason=reason,
        basis=locked.profile.source,
        data={"effective_from": locked.effective_from.isoformat(), "activation": locked.pk},
    )
    activation.refresh_from_db()


def activations_apply(
    *, now: dt.datetime | None = None, actor: Any = None, recorded: bool = False
) -> PolicyProfile | None:
    """Switch to the version whose activation has come into force, if any: it becomes the
    active one, and whoever derives state from the policy hears of it (measures re-planned,
    codes re-derived). The daily job (`fangkong policy_apply`) runs it after midnight; an
    activation from now runs it at once (`recorded`: its event is written already)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            PolicyActivation.objects.select_for_update(of=("self",))
            .filter(applied_at__isnull=True, withdrawn_at__isnull=True, effective_from__lte=now)
            .select_related("profile", "decided_by")
            .order_by("effective_from", "pk")
        )
        if not due:
            return None
        chosen = due[-1]
        previous = PolicyProfile.objects.select_for_update().filter(is_active=True).first()
        PolicyActivation.objects.filter(pk__in=[a.pk for a in due]).update(applied_at=now)
        profile = chosen.profile
        if previous is not None and previous.pk == profile.pk:
            return None
        PolicyProfile.objects.filter(is_active=True).update(is_active=False)
        profile.is_active = True
        profile.activated_at = now
        profile.save(update_fields=["is_active", "activated_at"])
        who = actor or chosen.decided_by or "system"
        if not recorded:
            event_record(
                actor=who,
                action="policy.in_force",
                obj=profile,
                field="active_profile",
                from_value=previous.reference if previous else "",
                to_value=profile.reference,
                reason=chosen.reason,
                basis=profile.source,
                data={"effective_from": chosen.effective_from.isoformat(), "activation": chosen.pk},
            )
        changes.changed("policy", [profile.pk], actor=who, objects=[profile])  # codes, measures
    return profile
