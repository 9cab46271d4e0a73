"""Field encryption (AES-256-GCM, rotatable key ring) and keyed blind indexes for exact search.

Ciphertext layout: ``b"\\x01"`` (format) + key id (1 byte) + 12-byte nonce + AES-GCM ciphertext and tag. The key
ring maps key ids to 32-byte keys; the first key encrypts, every key decrypts, so keys rotate by adding a new
first key and re-encrypting at leisure. Blind index = HMAC-SHA-256 under a separate key, truncated to 128 bits:
it reveals equality only (security.md S17; ankane/blind_index).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = 1


class KeyError_(ValueError):
    """A key ring that cannot be used, or ciphertext under a key the ring lacks."""


def parse_key_ring(spec: str) -> tuple[int, dict[int, bytes]]:
    """Parse ``"2:<base64 32 bytes>,1:<base64 32 bytes>"`` into (active key id, ring); the first key is active.

    >>> key = base64.b64encode(bytes(32)).decode()
    >>> parse_key_ring(f"3:{key}")[0]
    3
    """
    ring: dict[int, bytes] = {}
    active: int | None = None
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        kid_text, _, material = part.partition(":")
        if not material or not kid_text.isdigit() or not 0 < int(kid_text) < 256:
            raise KeyError_("each key must read '<id 1-255>:<base64 of 32 bytes>'")
        try:
            key = base64.b64decode(material, validate=True)
        except ValueError as exc:
            raise KeyError_(f"key {kid_text} is not valid base64") from exc
        if len(key) != 32:
            raise KeyError_(f"key {kid_text} must be 32 bytes (AES-256), got {len(key)}")
        kid = int(kid_text)
        ring[kid] = key
        active = kid if active is None else active
    if active is None:
        raise KeyError_("the key ring is empty")
    return active, ring


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts and decrypts personal-data fields and computes their blind indexes."""

    active_key_id: int
    keys: Mapping[int, bytes]
    index_key: bytes

    @cached_property
    def _aeads(self) -> dict[int, AESGCM]:
        # One AESGCM object per key: building one costs more than encrypting a short field (bulk seeding).
        return {kid: AESGCM(key) for kid, key in self.keys.items()}

    def encrypt(self, plaintext: str) -> bytes:
        """Encrypt a value under the active key with a fresh random nonce."""
        nonce = os.urandom(12)
        aad = bytes([FORMAT, self.active_key_id])
        return aad + nonce + self._aeads[self.active_key_id].encrypt(nonce, plaintext.encode("utf-8"), aad)

    def decrypt(self, blob: bytes) -> str:
        """Decrypt a value written by :meth:`encrypt` under any key of the ring."""
        if len(blob) < 2 + 12 + 16 or blob[0] != FORMAT:
            raise KeyError_("not a pingan field ciphertext")
        kid = blob[1]
        if kid not in self.keys:
            raise KeyError_(f"ciphertext uses key {kid}, which is not in the key ring")
        return self._aeads[kid].decrypt(blob[2:14], blob[14:], blob[:2]).decode("utf-8")

    def key_id_of(self, blob: bytes) -> int:
        """The key id a ciphertext was written under (for rotation)."""
        return blob[1]

    def blind_index(self, value: str) -> str:
        """Keyed, deterministic index of a normalised value (hex, 128 bits)."""
        normal = value.strip().upper()
        return hmac.new(self.index_key, normal.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def derive_key(secret: str, purpose: str) -> bytes:
    """A 32-byte key derived from a secret for one purpose (development defaults only)."""
    return hmac.new(secret.encode("utf-8"), f"pingan:{purpose}".encode(), hashlib.sha256).digest()
