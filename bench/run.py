"""`make bench`: runs every benchmark in bench/ and prints its numbers."""

import importlib.util
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main():
    benchmarks = sorted(p for p in BENCH_DIR.glob("*.py") if p.name != Path(__file__).name)
    if not benchmarks:
        print("No benchmark exists yet.")
        return 0
    sys.path.insert(0, str(BENCH_DIR.parent))
    for path in benchmarks:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}")
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
