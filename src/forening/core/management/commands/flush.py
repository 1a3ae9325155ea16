"""`flush`, as Django's, with the audit log's triggers lifted while it empties the tables.

Emptying the whole database is not tampering with the log, but on SQLite `flush` deletes
row by row (which the DELETE trigger refuses) and on PostgreSQL it truncates (which the
TRUNCATE trigger refuses). The test runner flushes after every transactional test.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from forening.core import audit_protection


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with audit_protection.lifted(connections[options["database"]]):
            super().handle(**options)
