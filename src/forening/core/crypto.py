"""Encryption of identity numbers: AES-GCM with a key ring, and an HMAC blind index.

The newest key encrypts; every key in the ring decrypts, so keys can be rotated
without downtime. Ciphertexts are "v1:<key id>:<base64 nonce+ciphertext>". The
blind index (HMAC-SHA256 under a separate key) allows exact search and duplicate
detection without storing the number in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[tuple[str, bytes], ...]
    search_key: bytes
    is_development: bool

    @property
    def current(self) -> tuple[str, bytes]:
        return self.keys[0]

    def key(self, key_id: str) -> bytes:
        for candidate_id, key in self.keys:
            if candidate_id == key_id:
                return key
        raise ImproperlyConfigured(f"encryption key {key_id!r} is not in FORENING_ENCRYPTION_KEYS")


def parse_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    keys = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id.isalnum():
            raise ImproperlyConfigured("FORENING_ENCRYPTION_KEYS entries look like id:base64key")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise ImproperlyConfigured(f"encryption key {key_id!r} is not valid base64") from None
        if len(key) != 32:
            raise ImproperlyConfigured(f"encryption key {key_id!r} must be 32 bytes (256 bits)")
        keys.append((key_id, key))
    return tuple(keys)


@lru_cache(maxsize=1)
def keyring() -> KeyRing:
    keys = parse_keys(settings.FORENING_ENCRYPTION_KEYS)
    development = not keys
    if development:
        derived = hashlib.sha256(
            b"forening-dev-encryption:" + settings.SECRET_KEY.encode()
        ).digest()
        keys = (("dev", derived),)
    search_raw = settings.FORENING_SEARCH_KEY
    if search_raw:
        search_key = search_raw.encode()
    else:
        development = True
        search_key = hashlib.sha256(b"forening-dev-search:" + settings.SECRET_KEY.encode()).digest()
    return KeyRing(keys=keys, search_key=search_key, is_development=development)


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def encrypt(plaintext: str, *, context: bytes = b"") -> str:
    key_id, key = keyring().current
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context)
    return f"v1:{key_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def decrypt(token: str, *, context: bytes = b"") -> str:
    version, key_id, encoded = token.split(":", 2)
    if version != "v1":
        raise ValueError("unknown ciphertext version")
    blob = base64.b64decode(encoded)
    key = keyring().key(key_id)
    return AESGCM(key).decrypt(blob[:12], blob[12:], context).decode("utf-8")


def blind_index(value: str, *, purpose: str) -> str:
    """A stable keyed hash of a normalised value, for exact lookup."""
    message = f"{purpose}:{value}".encode()
    return hmac.new(keyring().search_key, message, hashlib.sha256).hexdigest()
