"""`python -m ledger`: the same command as `ledger`."""

import sys

from ledger_server.cli import main

sys.exit(main())
