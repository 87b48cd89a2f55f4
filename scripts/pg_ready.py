"""Exit 0 when the PostgreSQL URL given as argument accepts connections."""

import sys

import psycopg

try:
    url = sys.argv[1].replace("postgres://", "postgresql://", 1)
    psycopg.connect(url, connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
    print(f"PostgreSQL check failed: {exc}", file=sys.stderr)
    sys.exit(1)
