import datetime as dt, time, tracemalloc
from django.utils import timezone
from fangkong.bulk import copy_rows
from fangkong.epi.models import Contact, CodeStatus
from fangkong.epi.status import recompute, recompute_all
from fangkong.people.models import Resident
from fangkong.audit.models import Event
from tests.epi.conftest import make_case
from fangkong.places.models import Level

def test_bench(city, people):
    unit = city.w[Level.UNIT]
    n = 30000
    now = timezone.now()
    copy_rows(Resident, ["id_number","name","name_initials","name_pinyin","sex","birth_date","phone","division","division_key","residency","relation","created_at","updated_at"],
      ((f"B{i:017d}", f"测{i}", "c", "ce", "M", dt.date(1980,1,1), "", unit.pk, unit.key, "registered", "", now, now) for i in range(n)))
    ids = list(Resident.objects.filter(id_number__startswith="B").values_list("pk", flat=True))
    case = make_case(people["zhang"], sampled_on=timezone.localdate(), reported_on=timezone.localdate())
    today = timezone.localdate()
    copy_rows(Contact, ["case","person","degree","relation","last_exposure_on","status","note","division_key","created_at"],
      ((case.pk, pid, "close", "venue", today, "identified", "", unit.key, now) for pid in ids))
    t = time.perf_counter(); recompute(person_ids=ids); t1 = time.perf_counter() - t
    import cProfile, pstats
    pr = cProfile.Profile(); pr.enable()
    t = time.perf_counter(); recompute(person_ids=ids); t2 = time.perf_counter() - t
    pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(25)
    t = time.perf_counter(); recompute_all(); t3 = time.perf_counter() - t
    print(f"\nfirst recompute {n}: {t1:.2f}s; unchanged again: {t2:.2f}s; recompute_all: {t3:.2f}s; events {Event.objects.filter(action='code.changed').count()} statuses {CodeStatus.objects.count()}")
