"""Every audited action the code records has a label in the audit log's language."""

import re
from pathlib import Path

from fangkong.audit.models import ACTION_LABELS

SRC = Path(__file__).resolve().parents[2] / "src" / "fangkong"
LITERAL = re.compile(r'action="([a-z_]+\.[a-z_]+)"')


def test_every_action_literal_has_a_label():
    used = {m for p in SRC.rglob("*.py") for m in LITERAL.findall(p.read_text("utf-8"))}
    assert len(used) > 50
    assert sorted(used - set(ACTION_LABELS)) == []
