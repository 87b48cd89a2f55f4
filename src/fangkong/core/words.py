"""Words joined as the reader's language joins them: 单元、楼栋 in Chinese, "unit, building" in
English (the separator is the catalogue's, context "list separator")."""

from collections.abc import Iterable

from django.utils.translation import pgettext


def listing(items: Iterable[object]) -> str:
    return pgettext("list separator", ", ").join(str(item) for item in items)
