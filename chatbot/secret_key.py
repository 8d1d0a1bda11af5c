"""Where the key that encrypts secrets at rest comes from, and the checks on its place.

A copy of the data folder (a backup, a leaked disk) must not decrypt the sessions and
tokens stored in its database, so the key never lives there by default (threat model
§4.13). In order:

1. ``CHATBOT_SECRET_KEY``: the key itself (an environment variable, a secret store);
2. ``CHATBOT_SECRET_KEY_FILE``: a file holding it, kept outside the data folder;
3. otherwise `default_key_file()` (``$XDG_CONFIG_HOME/x-migration-chatbot/secret.key``),
   generated on first start with mode 0600. ``CHATBOT_PRODUCTION=true`` refuses this
   fallback: a production deployment names its key explicitly.

A key file inside the data folder, or readable by other users, is refused in production
and reported loudly otherwise. The key that earlier versions generated beside the
database (``<data dir>/secret.key``) is moved to the default place on the first start
without a configured key, with a warning; once the configured key is the same, the old
copy is deleted. A different old key stops the start: its sessions would be lost
silently otherwise. The key itself is never logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets as random
import stat
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

from chatbot.config import ConfigError, Settings, default_key_file

log = logging.getLogger(__name__)

LEGACY_KEY_FILE = "secret.key"  # where versions before issue 11 kept it: the data dir
HOW_TO_MAKE = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def load_key(settings: Settings) -> bytes:
    """The configured or generated key (raw bytes, not yet validated)."""
    legacy = settings.data_dir / LEGACY_KEY_FILE
    if settings.secret_key:
        key = settings.secret_key.get_secret_value().strip().encode("ascii", "replace")
        _retire_legacy(legacy, key, "CHATBOT_SECRET_KEY")
        return key
    if settings.secret_key_file:
        path, origin = settings.secret_key_file.expanduser(), "CHATBOT_SECRET_KEY_FILE"
    elif settings.production:
        raise ConfigError(
            "CHATBOT_PRODUCTION is on but no encryption key is configured: set "
            "CHATBOT_SECRET_KEY (the key itself) or CHATBOT_SECRET_KEY_FILE (a file outside "
            f"the data directory, mode 0600). Create a key with: {HOW_TO_MAKE}"
            + (f"; an existing deployment uses the one in {legacy}" if legacy.exists() else "")
        )
    else:
        path, origin = default_key_file(), "the default key file"
    _check_place(path, settings, origin)
    if not path.exists():
        if legacy.exists() and not _same_file(legacy, path):
            _move_legacy(legacy, path)
        elif settings.production:
            raise ConfigError(
                f"CHATBOT_SECRET_KEY_FILE names {path}, which does not exist: put the key "
                f"there (mode 0600), or create one with: {HOW_TO_MAKE}"
            )
        else:
            create_private_file(path)
            log.info("generated a new secret key in %s", path)
    _check_mode(path, settings)
    key = read_key_file(path)
    if not _same_file(legacy, path):
        _retire_legacy(legacy, key, origin)
    return key


def read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"there is no secret key file at {path}: put the key there (mode 0600), or set "
            "CHATBOT_SECRET_KEY"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read the secret key file {path}: {exc.strerror or exc}; make it "
            "readable by the bot's user (mode 0600), or set CHATBOT_SECRET_KEY"
        ) from None


def create_private_file(path: Path, make: Callable[[], bytes] = Fernet.generate_key) -> None:
    """Write a new secret with mode 0600 atomically; keep the other one if two starts race."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the folder of {path}: {exc.strerror or exc}; set "
            "CHATBOT_SECRET_KEY_FILE to a writable place, or CHATBOT_SECRET_KEY"
        ) from None
    temporary = path.with_name(f".{path.name}.{random.token_hex(6)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(make())
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # fails if another process created it meanwhile
    except OSError as exc:
        raise ConfigError(
            f"cannot create the secret file {path}: {exc.strerror or exc}; check that its "
            "folder is writable, or configure the secret yourself"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _refuse_or_warn(settings: Settings, message: str) -> None:
    if settings.production:
        raise ConfigError(message)
    log.warning("SECURITY: %s", message)


def _check_place(path: Path, settings: Settings, origin: str) -> None:
    if _inside(path, settings.data_dir):
        _refuse_or_warn(
            settings,
            f"the secret key file {path} ({origin}) is inside the data directory "
            f"{settings.data_dir}: a copy of that folder would decrypt every stored session "
            "and token. Keep the key elsewhere: CHATBOT_SECRET_KEY_FILE outside the data "
            "directory, or CHATBOT_SECRET_KEY",
        )


def _check_mode(path: Path, settings: Settings) -> None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return  # reading it reports the problem
    if mode & 0o077:
        _refuse_or_warn(
            settings,
            f"the secret key file {path} is readable by other users (mode {mode:04o}): "
            f"run chmod 600 {path}",
        )


def _legacy_key(legacy: Path) -> bytes | None:
    """The old key file's content; None once it is gone (another process moved it)."""
    try:
        return read_key_file(legacy) if legacy.exists() else None
    except ConfigError:
        if not legacy.exists():
            return None
        raise


def _move_legacy(legacy: Path, path: Path) -> None:
    """The key an earlier version generated beside the database moves out of the data dir."""
    key = _legacy_key(legacy)
    if key is None:
        return  # moved by another process starting at the same time
    create_private_file(path, lambda: key)
    if read_key_file(path) != key:  # another start created a different key meanwhile
        raise ConfigError(
            f"{path} appeared with another key while the one in {legacy} was being moved "
            "there; keep the right one (sessions were encrypted with it) and start again"
        )
    legacy.unlink(missing_ok=True)
    log.warning(
        "SECURITY: moved the secret key out of the data directory, from %s to %s: back it "
        "up separately from the data (without it, users must /connect again), or set "
        "CHATBOT_SECRET_KEY / CHATBOT_SECRET_KEY_FILE",
        legacy,
        path,
    )


def _retire_legacy(legacy: Path, key: bytes, origin: str) -> None:
    """Delete the data directory's old copy of `key`; stop if it holds another key."""
    old = _legacy_key(legacy)
    if old is None:
        return
    if old != key:
        raise ConfigError(
            f"{legacy} holds an older secret key that differs from {origin}: the sessions "
            "and tokens encrypted with it would be lost. Configure that key instead (move "
            "the file out of the data directory and point CHATBOT_SECRET_KEY_FILE at it), "
            "or delete the file to accept that users /connect their accounts again"
        )
    legacy.unlink(missing_ok=True)
    log.warning(
        "SECURITY: deleted %s, a copy of the secret key (%s) inside the data directory",
        legacy,
        origin,
    )
