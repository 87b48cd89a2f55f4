"""Resident search latency on an existing database (run by bench/registry.py).

Prints one line per query kind: `kind count p50_ms p95_ms`. Queries are drawn with a fixed seed
from the data itself: surname prefixes, full names, pinyin initials, ID numbers and phones,
searched as the city-wide command user and as a street user, fetching one page like the list view.
"""

import os
import random
import statistics
import sys
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
django.setup()

from django.conf import settings  # noqa: E402

from fangkong.accounts.models import User  # noqa: E402
from fangkong.people.models import Resident  # noqa: E402
from fangkong.people.selectors import resident_search  # noqa: E402


def sample(n: int) -> list[Resident]:
    top = Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rng = random.Random(7)
    ids = [rng.randint(1, top) for _ in range(n * 2)]
    return list(Resident.objects.filter(id__in=ids)[:n])


def queries(people: list[Resident]) -> dict[str, list[str]]:
    return {
        "name": [p.name for p in people],
        "surname": [p.name[0] for p in people],
        "initials": [p.name_initials for p in people],
        "id_number": [p.id_number for p in people],
        "phone": [p.phone for p in people if p.phone],
    }


def timed(user: User, q: str) -> float:
    started = time.perf_counter()
    qs = resident_search(user, q).select_related("division__parent__parent")
    list(qs[: settings.PAGE_SIZE + 1])
    return (time.perf_counter() - started) * 1000


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    users = {
        "city": User.objects.select_related("jurisdiction").get(username="command"),
        "street": User.objects.select_related("jurisdiction").get(username="street"),
    }
    for scope, user in users.items():
        for kind, qs in queries(sample(n)).items():
            for q in qs[:5]:
                timed(user, q)  # warm caches
            times = sorted(timed(user, q) for q in qs)
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"{scope}:{kind} {len(times)} {statistics.median(times):.2f} {p95:.2f}")


if __name__ == "__main__":
    main()
