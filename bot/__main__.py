"""`python -m bot` is the `convene` command."""

import sys

from bot.cli import main

sys.exit(main())
