"""Background work of the epi app (Django's tasks API; the worker is `fangkong db_worker`)."""

from django.tasks import task


@task()
def run_finding_job(job_id: int) -> str:
    """Run one contact-finding job; returns its final status."""
    from fangkong.epi.finding import finding_job_run

    return str(finding_job_run(job_id=job_id).status)
