"""`fn --version` and `fn --help` start-up, against `sam --version` measured in the same run.

Targets (issue 2): `fn --version` median no slower than `sam --version` (ratio <= 1.0); `fn --help` under 0.3 s.
Run: .venv/bin/python bench/bench_startup.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import median_seconds, tool_venv  # noqa: E402


def main() -> int:
    fn_bin = Path(sys.executable).parent / "fn"
    fn = [str(fn_bin)] if fn_bin.exists() else [sys.executable, "-m", "fnship"]
    version = median_seconds([*fn, "--version"], runs=11)
    help_time = median_seconds([*fn, "--help"], runs=7)
    print(f"fn --version  median {version * 1000:.0f} ms")
    print(f"fn --help     median {help_time * 1000:.0f} ms (target < 300 ms): {'ok' if help_time < 0.3 else 'MISSED'}")
    sam = shutil.which("sam") or (str(b / "sam") if (b := tool_venv("sam", "aws-sam-cli")) else None)
    if not sam:
        print("sam: could not be installed (no PyPI?): no baseline this run")
        return 0
    sam_version = median_seconds([sam, "--version"], runs=11)
    ratio = version / sam_version
    print(f"sam --version median {sam_version * 1000:.0f} ms")
    print(f"ratio fn/sam  {ratio:.2f} (target <= 1.0): {'ok' if ratio <= 1.0 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
