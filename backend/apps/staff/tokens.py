"""Staff API tokens: revocation, and the move of DRF's plain-text tokens to
django-rest-knox's hashed ones.

Before issue 26 a token was stored as it was sent (rest_framework.authtoken),
so a database dump or backup gave away every staff login. knox keeps a
SHA-512 digest and the first 15 characters (to find the row), with an expiry.
"""

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS

LEGACY_TABLE = "authtoken_token"


def api_tokens_revoke(*, users=None) -> int:
    """Delete the API tokens of `users` (all users' when None); returns how many."""
    tokens = AuthToken.objects.all()
    if users is not None:
        tokens = tokens.filter(user__in=users)
    deleted, _ = tokens.delete()
    return deleted


def legacy_tokens_migrate(
    token_model=AuthToken, *, schema_editor=None, now: datetime | None = None
) -> int:
    """Turn every plain-text DRF token into a knox digest, then drop the table.

    Each keeps working as it was (same `Token <key>` header) until
    STAFF_API_TOKEN_DAYS from the migration; the plain-text copies are gone
    with the table. Nothing to do on a database that never had the table.
    """
    cursor_owner = schema_editor.connection if schema_editor else connection
    if LEGACY_TABLE not in cursor_owner.introspection.table_names():
        return 0
    now = now or timezone.now()
    expiry = now + settings.REST_KNOX["TOKEN_TTL"]
    with cursor_owner.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id FROM {LEGACY_TABLE}")
        rows = cursor.fetchall()
    token_model.objects.bulk_create(
        token_model(
            digest=hashlib.sha512(key.encode()).hexdigest(),
            token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            created=now,
            expiry=expiry,
        )
        for key, user_id in rows
    )
    with cursor_owner.cursor() as cursor:
        cursor.execute(f"DROP TABLE {LEGACY_TABLE}")
    return len(rows)
