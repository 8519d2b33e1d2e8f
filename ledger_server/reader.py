"""The read port the API asks: the read service, over the in-memory or the PostgreSQL read model.

Methods are async so that the PostgreSQL read model fits the same resolvers; over the
in-memory model they answer straight away.
"""

from __future__ import annotations

from projections.service import ReadService

Reader = ReadService
