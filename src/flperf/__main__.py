"""`python -m flperf` runs the command line."""

from flperf.cli import main

main()
