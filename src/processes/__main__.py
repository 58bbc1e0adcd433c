"""``python -m processes`` runs ``proc``."""

from .entry import main

main()
