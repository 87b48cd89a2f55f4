"""Hooks the case and contact services call after facts about people change."""

import importlib


def facts_changed(person_ids: list[int]) -> None:
    """Tell the health-code status engine that these people's facts changed."""
    if not person_ids:
        return
    try:
        status = importlib.import_module("fangkong.epi.status")
    except ModuleNotFoundError as exc:  # the status engine is built alongside this module
        if exc.name != "fangkong.epi.status":
            raise
        return
    recompute = getattr(status, "recompute", None)
    if recompute is not None:
        recompute(person_ids=sorted(set(person_ids)))
