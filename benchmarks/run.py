"""Run every senseslens benchmark: ``python benchmarks/run.py [--quick] [--out FILE] [--only MODULE ...]``.

Same as ``senseslens bench``; writes one JSON object keyed by benchmark name and prints a table.
"""

from __future__ import annotations

import argparse
import sys

from senseslens.cli.bench import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
