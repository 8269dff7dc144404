"""``python -m ardoise``."""

from ardoise.cli import main

main()
