"""How the hotline's numbers read."""

from django.utils.translation import ngettext


def within_words(minutes: int) -> str:
    """ "2 hours", "90 minutes": an SLA as a reader says it."""
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}
