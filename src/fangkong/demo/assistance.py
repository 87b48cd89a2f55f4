"""The demo city's social assistance, made through the assistance services: in the grid
worker's grid, a 临时救助 for a worker three months without income (filed by the grid worker
with the documents the procedure asks; decided at once where the profile in force has the
emergency procedure, as 许昌's has, else reviewed first; approved and paid) and a 低保
application for another household, awaiting the street's review. The times are the demo's
morning, or now if that is still to come."""

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.assistance.applications import services
from fangkong.assistance.models import Procedure, Programme
from fangkong.demo.clock import Clock
from fangkong.people.models import Resident

SCAN = b"%PDF-1.4\n% demo: a scanned document\n%%EOF\n"


def assistance_write(*, filer: Any, decider: Any, clock: Clock) -> int:
    """Two applications in `filer`'s jurisdiction (none where it has no adults of two
    households); returns how many were filed."""
    adults = Resident.objects.filter(
        division_key__startswith=filer.jurisdiction.key if filer.jurisdiction else "~",
        birth_date__lte=clock.years_ago(25),
        birth_date__gte=clock.years_ago(55),
    ).order_by("pk")
    worker = adults.first()
    if worker is None:
        return 0
    other = adults.exclude(household=worker.household).first()  # another household
    yesterday = clock.days_ago(1)
    applied = clock.by(yesterday, 9)  # the demo's times: hours of its days, never ahead of now
    temporary = services.application_file(
        actor=filer,
        person=worker,
        programme=Programme.TEMPORARY,
        monthly_income=0,
        assets=2000,
        months_without_income=3,
        circumstances="个体餐馆停业三个月，无收入，未参加失业保险",
        applied_at=applied,
    )
    for kind in temporary.documents_required:  # what the procedure in force asks
        services.document_add(
            actor=filer,
            application=temporary,
            kind=kind,
            upload=SimpleUploadedFile(f"{kind}.pdf", SCAN, content_type="application/pdf"),
        )
    decided = clock.by(yesterday, 12)
    emergency = temporary.procedure == Procedure.EMERGENCY
    if not emergency:
        temporary = services.application_review(
            actor=decider,
            application=temporary,
            note="入户核查：停业属实，家中无其他收入",
            reviewed_at=clock.by(yesterday, 10),
        )
    temporary = services.application_decide(
        actor=decider,
        application=temporary,
        approve=True,
        reason="停业三个月无收入，未参加失业保险，符合临时救助条件",
        basis="应急简化程序" if emergency else "临时救助办法",
        decided_at=decided,
    )
    services.payment_record(
        actor=decider,
        application=temporary,
        amount=temporary.one_off_amount,
        paid_on=decided.date(),
        reference="demo",
    )
    if other is None:
        return 1
    services.application_file(
        actor=filer,
        person=other,
        programme=Programme.DIBAO,
        monthly_income=300,
        assets=5000,
        circumstances="家庭成员患病，收入低于当地低保标准",
        applied_at=applied,
    )
    return 2
