"""Signals other apps listen to when policy changes."""

from django.dispatch import Signal

# Sent by `profile_activate` after another profile became active: kwargs `profile`, `actor`.
policy_activated = Signal()
