"""Allow ``python -m pingan``."""

from pingan.cli import main

main()
