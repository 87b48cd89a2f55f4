"""Background work of citizen requests (Django's tasks API; the worker: `fangkong db_worker`)."""

from django.tasks import task

from fangkong.hotline.dispatch.services import requests_escalate


@task()
def sweep_hotline_sla() -> int:
    """Escalate the requests past their deadline (`dispatch.services.requests_escalate`);
    returns how many were escalated."""
    return requests_escalate()
