"""Report sentences that address the reader with instructions (prompt injection) are flagged, not quoted
as facts. Placeholder until the hardening branch lands its detector."""

from __future__ import annotations

import re

_INSTRUCTION = re.compile(r"(忽略|无视)(以上|上述|之前|前面)|请(访问|登录|点击)|ignore (all )?(previous|above)", re.I)
_URL = re.compile(r"https?://|www\.", re.I)
FLAG = "【此句像是写给读者的指令，并非报告事实，仅供核对】"


def is_instruction(sentence: str) -> bool:
    return bool(_INSTRUCTION.search(sentence)) or (bool(_URL.search(sentence)) and "请" in sentence)


def flag_instruction(sentence: str) -> str:
    return f"{FLAG}{sentence}" if is_instruction(sentence) else sentence
