"""The server's secret: signs session cookies and keys the suppression list's hashes."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from app.settings import Settings


def server_secret(settings: Settings) -> bytes:
    """IDGRAPH_SECRET_KEY, else the random one in data_dir/secret.key (made on first use,
    readable by its owner only)."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = settings.secret_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


def keyed_hash(settings: Settings, value: str) -> str:
    """HMAC-SHA256 of value under the server secret: the same value always gives the same
    hash here, and without the secret a hash cannot be tested against guessed values."""
    return hmac.new(server_secret(settings), value.encode(), hashlib.sha256).hexdigest()
