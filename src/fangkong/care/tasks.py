"""Background work of medical care (Django's tasks API; the worker: `fangkong db_worker`)."""

from django.tasks import task

from fangkong.care.admission.services import incidents_sweep


@task()
def sweep_care_sla() -> int:
    """Record the first-diagnosis incidents of requests whose SLA clock ran out unconfirmed
    (`admission.services.incidents_sweep`); returns how many were new."""
    return incidents_sweep()
