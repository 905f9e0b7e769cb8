"""Encryption at rest for sensitive personal data, and keyed hashes for exact search.

The value is stored as a Fernet token (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under
``NINGJU_FIELD_KEYS``; several keys allow rotation (the first encrypts, all decrypt). Exact-match
search uses an HMAC-SHA256 of the normalised value under ``NINGJU_HASH_KEY``, stored beside it.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def encrypt(value: str) -> str:
    return _fernet(tuple(settings.NINGJU_FIELD_KEYS)).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(tuple(settings.NINGJU_FIELD_KEYS)).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:  # pragma: no cover - a wrong key is an operator error
        raise ValueError("无法解密字段:密钥不匹配") from exc


def keyed_hash(value: str) -> str:
    """HMAC of a normalised value; the same input always gives the same digest."""
    normalised = value.strip().upper()
    return hmac.new(settings.NINGJU_HASH_KEY.encode(), normalised.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text field whose value is encrypted in the database and plain in Python."""

    description = "Encrypted text"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        # Ciphertexts are randomised: any lookup but isnull would silently never match.
        if lookup_name not in ("isnull",):
            raise TypeError("加密字段不能直接查询,请使用对应的哈希字段")
        return super().get_lookup(lookup_name)
