"""Pinyin keys for searching Chinese names (张伟 → initials "zw", full "zhangwei")."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    return lazy_pinyin(char, errors="default")[0].lower() if char.strip() else ""


@lru_cache(maxsize=65536)
def _surname_pinyin(name: str) -> list[str]:
    return [p.lower() for p in lazy_pinyin(name, style=Style.NORMAL, errors="default")]


def pinyin_of(name: str) -> tuple[str, str]:
    """(initials, full pinyin) of a name, letters only, lower case."""
    parts = _surname_pinyin(name) if len(name) <= 4 else [_char_pinyin(c) for c in name]
    letters = ["".join(ch for ch in p if ch.isascii() and ch.isalnum()) for p in parts]
    letters = [p for p in letters if p]
    return "".join(p[0] for p in letters), "".join(letters)
