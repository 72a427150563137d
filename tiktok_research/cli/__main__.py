"""``python -m tiktok_research.cli``."""

from . import main

main()
