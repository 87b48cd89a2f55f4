"""The kinds a situation import reads, in the order they are checked and written: each may
name the ones before it (a case its person, a contact its case and person, a stay its
person, measure, site and room). To add a kind, write its module (see `base.Kind`) and list
its `KIND` here; the page, the API, the preview and the result take it from this list
(docs/adopting.md, "Adding a kind")."""

from fangkong.command.situation import (
    cases,
    contacts,
    measures,
    people,
    rounds,
    sites,
    stays,
    zones,
)
from fangkong.command.situation.base import Kind

KINDS: tuple[Kind, ...] = (
    people.KIND,
    cases.KIND,
    contacts.KIND,
    measures.KIND,
    sites.SITES,
    sites.ROOMS,
    stays.KIND,
    zones.KIND,
    rounds.KIND,
)
BY_NAME: dict[str, Kind] = {kind.name: kind for kind in KINDS}
