"""`fangkong outlines [--load FILE] [--derive] [--under KEY]`: the outlines the maps draw."""

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangkong.places.services import outlines_derive, outlines_load


class Command(BaseCommand):
    help = (
        "Give the places their outlines for the maps: --load reads a GeoJSON FeatureCollection "
        "of Polygons whose properties.code is a division code (surveyed boundaries); --derive "
        "outlines every node down to the compounds that has none from the coordinates below it "
        "(convex hull, widened by a margin). Both may be given: the load comes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--load", type=Path, help="a GeoJSON file of division outlines")
        parser.add_argument("--derive", action="store_true", help="derive missing outlines")
        parser.add_argument("--under", default="", help="only under this division key")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["load"] and not options["derive"]:
            raise CommandError("Give --load FILE, --derive, or both.")
        if options["load"]:
            try:
                collection = json.loads(options["load"].read_text(encoding="utf-8"))
                loaded = outlines_load(collection=collection)
            except (OSError, ValueError) as exc:
                raise CommandError(f"--load: {exc}") from None
            except ValidationError as exc:
                raise CommandError("\n".join(exc.messages)) from None
            self.stdout.write(f"loaded {loaded} outline(s)")
        if options["derive"]:
            derived = outlines_derive(prefix=options["under"])
            self.stdout.write(f"derived {derived} outline(s)")
