"""`forening generate-key`: fresh keys for FORENING_ENCRYPTION_KEYS and FORENING_SEARCH_KEY."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from forening.core import crypto


class Command(BaseCommand):
    help = (
        "Print a new encryption key line and a search key. To rotate, put the new key first in "
        "FORENING_ENCRYPTION_KEYS and keep the old ones after it. Never change the search key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key_id = f"k{timezone.localdate():%Y%m%d}"
        self.stdout.write(f"FORENING_ENCRYPTION_KEYS={key_id}:{crypto.generate_key()}")
        self.stdout.write(f"FORENING_SEARCH_KEY={crypto.generate_key()}")
