"""The Hunspell dictionary expanded, at fetch time, into the plain word list `lexicon` reads: each stem
with its suffix rules, one lower-case form a line."""
from __future__ import annotations

import os
import re
from pathlib import Path

_FLAG_SPLIT = re.compile(r"^([^/\s]+)(?:/(\S+))?")


def _parse_sfx(aff: Path) -> dict[str, list[tuple[str, str, re.Pattern[str]]]]:
    rules: dict[str, list[tuple[str, str, re.Pattern[str]]]] = {}
    for line in aff.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] == "SFX":
            flag, strip, add, cond = parts[1], parts[2], parts[3], parts[4]
            strip = "" if strip == "0" else strip
            add = "" if add == "0" else add.split("/")[0]
            cond_re = re.compile("" if cond == "." else f"{cond}$")
            rules.setdefault(flag, []).append((strip, add, cond_re))
    return rules


def build_wordlist(dic: Path, aff: Path, out: Path) -> int:
    """Expand stems with their suffix rules into a lower-case word list; returns its size."""
    rules = _parse_sfx(aff)
    words: set[str] = set()
    lines = dic.read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        m = _FLAG_SPLIT.match(line.strip())
        if not m:
            continue
        stem, flags = m.group(1), m.group(2) or ""
        if "%" in flags or "Z" in flags:  # forbidden words, parts only allowed inside compounds
            continue
        low = stem.lower()
        if "¤" not in flags:
            words.add(low)
        for flag in flags:
            for strip, add, cond in rules.get(flag, ()):
                if strip and not low.endswith(strip):
                    continue
                if cond.pattern and not cond.search(low):
                    continue
                words.add((low[: len(low) - len(strip)] if strip else low) + add)
    tmp = out.with_suffix(".tmp")
    tmp.write_text("\n".join(sorted(w for w in words if w)) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return len(words)
