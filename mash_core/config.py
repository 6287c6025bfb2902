"""Configuration from environment variables with safe defaults for a laptop demo."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def instance_path() -> Path:
    """The instance folder: ``$MASH_INSTANCE`` or ``./instance`` under the working directory."""
    return Path(os.environ.get("MASH_INSTANCE", "instance")).resolve()


def _secret_key(folder: Path) -> str:
    env = os.environ.get("MASH_SECRET_KEY")
    if env:
        return env
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def env_list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


@dataclass
class Settings:
    instance: Path
    database_url: str
    secret_key: str
    disabled_plugins: list[str] = field(default_factory=list)
    notifier: str = "file"
    secure_cookies: bool = False
    smtp_host: str = "localhost"
    smtp_port: int = 25
    mail_from: str = "noreply@mash.localhost"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        folder = Path(overrides.pop("instance", None) or instance_path())
        url = overrides.pop("database_url", None) or os.environ.get("MASH_DATABASE_URL")
        if not url:
            folder.mkdir(parents=True, exist_ok=True)  # SQLite cannot create the folder itself
            url = f"sqlite:///{folder / 'mash.db'}"
        values = dict(
            instance=folder,
            database_url=url,
            secret_key=overrides.pop("secret_key", None) or _secret_key(folder),
            disabled_plugins=env_list("MASH_DISABLE_PLUGINS"),
            notifier=os.environ.get("MASH_NOTIFIER", "file"),
            # Secure cookies need HTTPS; production sets MASH_SECURE_COOKIES=1 behind its proxy.
            secure_cookies=os.environ.get("MASH_SECURE_COOKIES", "0") == "1",
            smtp_host=os.environ.get("MASH_SMTP_HOST", "localhost"),
            smtp_port=int(os.environ.get("MASH_SMTP_PORT", "25")),
            mail_from=os.environ.get("MASH_MAIL_FROM", "noreply@mash.localhost"),
        )
        values.update(overrides)
        return cls(**values)
