"""Feedback from the chat (tumme upp/ner, a comment) appended as JSON lines for later evaluation."""
from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

MAX_COMMENT = 2000


class FeedbackLog:
    """One JSON object per line; each append is a single write on an O_APPEND file, so lines never interleave."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, rating: str, question: str, answer: dict | None, comment: str = "", session: str = "") -> dict:
        if rating not in {"upp", "ner", "kommentar"}:
            raise ValueError(f"rating must be 'upp', 'ner' or 'kommentar', not {rating!r}")
        record = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rating": rating, "comment": comment.strip()[:MAX_COMMENT],
            "question": question, "session": session,
            "answer": (answer or {}).get("answer", ""), "refused": (answer or {}).get("refused"),
            "citations": [{k: c[k] for k in ("n", "chunk_id", "doc", "locator")} for c in (answer or {}).get("citations", [])],
            "models": (answer or {}).get("models", {}),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        return record

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
