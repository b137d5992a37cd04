"""``python -m dailypapers``: the same as the ``dailypapers`` command."""

from dailypapers.cli.main import main

main()
