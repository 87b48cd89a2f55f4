"""`fangkong policy_apply`: bring a policy version activated from today into force (run after
midnight, before the other daily jobs).

From the first minute of its day `accessor.current()` already returns the new version, so
everything started from then is planned by it; this switch re-plans the measures under way and
re-derives health codes under it, once.
"""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.policy.services import activations_apply


class Command(BaseCommand):
    help = "Switch to a policy version whose activation has come into force (re-plans, re-derives)."

    def handle(self, *args: Any, **options: Any) -> None:
        profile = activations_apply()
        self.stdout.write(f"in force: {profile.reference}" if profile else "no change")
