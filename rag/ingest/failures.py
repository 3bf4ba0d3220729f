"""Files that could not be read, kept beside the index so every process (CLI, chat, API) can name them.

Each ingest run merges its own results: a file that failed is recorded with its reason, a file that was
read (or has vanished) is dropped from the record.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "ingest-failures.json"

#: English reader messages -> what users see (Chinese), first match wins.
_ZH_REASONS = (
    (r"OCR is off", "扫描件未识别（OCR 已关闭）"),
    (r"no text recognised|OCR", "扫描件识别失败"),
    (r"no extractable text|scanned image", "扫描件，无可提取的文字"),
    (r"password", "文件有密码保护"),
    (r"unsupported file type", "不支持的文件类型"),
    (r"too large", "文件过大"),
    (r"empty file|contains no text|no article text|no text after cleaning", "文件没有文字内容"),
    (r"corrupt|truncated|not a zip|bad XML|unreadable", "文件已损坏或格式不正确"),
    (r"binary|not a text file|undecodable", "无法识别的文件编码"),
    (r"permission", "没有读取权限"),
    (r"already used", "文件名与另一份报告重复"),
)


def zh_reason(reason: str) -> str:
    for pattern, text in _ZH_REASONS:
        if re.search(pattern, reason, re.I):
            return text
    return "无法读取"


@dataclass
class Failure:
    file: str  # file name only: the record is shown to users, server paths are not
    reason: str  # as the reader said (English)
    path: str = ""  # full path, kept for merging runs; never published

    @property
    def reason_zh(self) -> str:
        return zh_reason(self.reason)

    def public(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "reason_zh": self.reason_zh}


class FailureLog:
    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / FILE_NAME

    def load(self) -> list[Failure]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [Failure(**f) for f in data.get("failures", [])]
        except (OSError, ValueError, TypeError):
            return []

    def update(self, failed: list[tuple[str, str]], read_ok: list[Path]) -> list[Failure]:
        """Merge one run: ``failed`` (path, reason) are recorded, ``read_ok`` paths are cleared."""
        done = {str(Path(p).resolve()) for p in read_ok} | {str(Path(p).resolve()) for p, _ in failed}
        kept = [f for f in self.load() if f.path not in done and Path(f.path).exists()]
        new = [Failure(Path(p).name, reason, str(Path(p).resolve())) for p, reason in failed]
        result = sorted(kept + new, key=lambda f: f.file)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".failures-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"failures": [asdict(x) for x in result]}, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)
        return result
