"""What supplies hears from the sources below it (connected in `SuppliesConfig.ready()`): a
holder's conditions failing revokes their passes at once (see passes/revocation.py)."""

from fangkong.supplies.passes import revocation


def connect() -> None:
    revocation.connect()
