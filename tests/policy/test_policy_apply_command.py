"""The daily job that brings an activation from a date into force."""

import datetime as dt
import io

from django.core.management import call_command
from django.utils import timezone

from fangkong.policy.models import PolicyProfile
from fangkong.policy.services import profile_activate


def test_policy_apply_switches_once_the_day_has_come(personas, monkeypatch):
    ninth = PolicyProfile.objects.get(code="9th-edition")
    activation = profile_activate(
        profile=ninth,
        actor=personas["command"],
        reason="明日起",
        effective_on=timezone.localdate() + dt.timedelta(days=1),
    )
    out = io.StringIO()
    call_command("policy_apply", stdout=out)
    assert out.getvalue().strip() == "no change"
    assert not PolicyProfile.objects.get(pk=ninth.pk).is_active

    moment = activation.effective_from + dt.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    call_command("policy_apply", stdout=out)
    assert out.getvalue().strip().endswith("in force: 9th-edition v1")
    assert PolicyProfile.objects.get(pk=ninth.pk).is_active
