"""Running coverage figures of rounds (`RoundTally`), kept exact in the writers' transactions.

- sampling a person into a round's tube adds 1 to `sampled` at the person's node;
- an upload adds, for every member of a round tube that got its result, 1 to `resulted`
  (one grouped INSERT … SELECT over the upload's rows);
- a person is in at most one tube per round (a unique constraint), and a tube takes no one
  once it has a result, so the figures equal the distinct people the coverage page counts.

Uploads take an exclusive lock and sampling a shared one (PostgreSQL advisory locks; SQLite
has one writer at a time anyway), so no one is added to a tube while its result is stored.
`tallies_rebuild` recounts from the members and results (migration, bulk loads, repair).
"""

from django.db import connection

from fangkong.lab.models import Result, RoundTally, Tube, TubeMember

RESULTS_LOCK = 0x6C6162  # "lab": result uploads against sampling


def results_lock(*, exclusive: bool) -> None:
    """Hold the results lock until the transaction ends (shared for sampling)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [RESULTS_LOCK])


def _table() -> str:
    return RoundTally._meta.db_table


def sampled_tallied(round_id: int, division_key: str) -> None:
    """One more person sampled in the round at `division_key`."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table()} (round_id, division_key, sampled, resulted)"
            " VALUES (%s, %s, 1, 0) ON CONFLICT (round_id, division_key)"
            f" DO UPDATE SET sampled = {_table()}.sampled + 1",
            [round_id, division_key],
        )


def results_tallied(upload_id: int) -> None:
    """Count the members of the round tubes that got their result in this upload."""
    member, tube = TubeMember._meta.db_table, Tube._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_table()} (round_id, division_key, sampled, resulted)"
            " SELECT m.round_id, m.division_key, 0, count(*)"
            f" FROM {Result._meta.db_table} r JOIN {tube} t ON t.barcode = r.barcode"
            f" JOIN {member} m ON m.tube_id = t.id"
            " WHERE r.upload_id = %s AND t.round_id IS NOT NULL AND m.round_id IS NOT NULL"
            " GROUP BY m.round_id, m.division_key"
            " ON CONFLICT (round_id, division_key)"
            f" DO UPDATE SET resulted = {_table()}.resulted + excluded.resulted",
            [upload_id],
        )


def tallies_rebuild(round_id: int | None = None) -> None:
    """Recount a round's figures (every round's when None) from members and results."""
    member, tube = TubeMember._meta.db_table, Tube._meta.db_table
    which = "m.round_id = %s" if round_id is not None else "m.round_id IS NOT NULL"
    params = [round_id] if round_id is not None else []
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table()}" + (" WHERE round_id = %s" if round_id is not None else ""),
            params,
        )
        cursor.execute(
            f"INSERT INTO {_table()} (round_id, division_key, sampled, resulted)"
            " SELECT m.round_id, m.division_key, count(*), count(r.barcode)"
            f" FROM {member} m JOIN {tube} t ON t.id = m.tube_id"
            f" LEFT JOIN {Result._meta.db_table} r ON r.barcode = t.barcode"
            f" WHERE {which} GROUP BY m.round_id, m.division_key",
            params,
        )
