"""`python -m ledger`: the same command as `ledger`."""

import sys

from api.cli import main

sys.exit(main())
