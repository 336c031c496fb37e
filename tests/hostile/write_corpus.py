"""Write the hostile corpus to a folder, one subfolder a case with its files and the command line (``args.txt``).

cd tests && python -m hostile.write_corpus /tmp/corpus
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hostile.cases import DECOYS, Case, all_cases


def write(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Case("decoys", (), DECOYS).write(folder)
    case.write(folder)


def main(argv: list[str]) -> None:
    out = Path(argv[0] if argv else "hostile-corpus")
    for case in all_cases():
        write(case, out / case.name)
        (out / case.name / "args.json").write_text(json.dumps(["cnncalc", *case.args]), encoding="utf-8")
    print(f"wrote {len(all_cases())} cases to {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
