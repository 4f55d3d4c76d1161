"""Benchmarks write their tables into a marked section of a Markdown file
(docs/benchmarks.md), so that the prose around them stays as written."""

import datetime as dt
import re
from pathlib import Path


def write_section(path: Path, name: str, text: str) -> None:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    stamp = f"_Written by `make bench` on {dt.date.today():%Y-%m-%d}._"
    block = f"{start}\n{stamp}\n\n{text}\n{end}"
    current = path.read_text() if path.exists() else ""
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if pattern.search(current):
        updated = pattern.sub(lambda _: block, current)
    else:
        updated = current.rstrip("\n") + f"\n\n{block}\n"
    path.write_text(updated)
