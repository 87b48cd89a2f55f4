"""The `fangkong` console command: Django's management commands under one name.

`fangkong demo --residents 10000 --seed 1`, `fangkong import_residents file.csv`,
`fangkong migrate`, `fangkong runserver` …
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    # After the settings module is named: Django reads it when management is imported.
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fangkong", *sys.argv[1:]])


if __name__ == "__main__":
    main()
