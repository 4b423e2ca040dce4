"""`make secrets` (python -m deploy.secrets): fresh secrets for a deployment, into `.env`.

docker compose reads `.env` beside docker-compose.yml; the services refuse to start with the
development secrets, so compose needs these. An existing file is never overwritten: its key
encryption key wraps every data-subject key already stored, and losing it loses the data."""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fresh_secrets() -> dict[str, str]:
    """Every secret a deployment sets, newly drawn (the names the services read)."""

    def key(size: int = 32) -> str:
        return base64.b64encode(os.urandom(size)).decode()

    return {
        "STAFF_TOKEN": secrets.token_urlsafe(32),
        "KEY_ENCRYPTION_KEY": key(),  # 32 bytes: AES-256
        "TOKEN_SIGNING_KEYS": f"k{secrets.token_hex(4)}:{key()}",  # kid:base64, first signs
        "SURVEYS_LINK_SECRET": key(),
        "SURVEYS_OPT_OUT_HASH_KEY": key(),
        "PORTAL_FORM_SECRET": key(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.secrets", description=__doc__)
    parser.add_argument("--output", type=Path, default=REPO / ".env")
    args = parser.parse_args(argv)
    if args.output.exists():
        print(f"{args.output} exists; kept as it is (its key encryption key wraps stored keys)")
        return 0
    lines = [f"{name}={value}" for name, value in fresh_secrets().items()]
    args.output.touch(mode=0o600)
    args.output.write_text(
        "# written by make secrets; keep it secret, keep it safe\n" + "\n".join(lines) + "\n"
    )
    print(f"wrote {len(lines)} secrets to {args.output} (mode 600)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
