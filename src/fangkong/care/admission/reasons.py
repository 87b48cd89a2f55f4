"""A missing test result (无核酸结果) is never a reason to refuse a patient (首诊负责制). The
refusal form does not offer it; a reason written in free text that says it is flagged."""

import re

# Chinese and English ways of saying "no (negative) test result / certificate".
_NO_TEST = re.compile(
    r"核酸|抗原|阴性证明|检测结果|检测报告|没有?检测|未检测|无检测|未做检测|"
    r"\bpcr\b|nucleic|antigen|\btest(ed|ing)?\b.{0,20}\b(result|report|certificate|proof)|"
    r"\b(no|without|missing|lacks?|awaiting|pending)\b.{0,20}\b(test|tested|swab)\b|"
    r"\bnegative\b.{0,20}\b(result|certificate|proof|report)\b|\buntested\b|\bnot tested\b",
    re.IGNORECASE,
)


def says_no_test_result(text: str) -> bool:
    """Does a free-text reason give a missing test result as the reason?"""
    return bool(_NO_TEST.search(text or ""))
