"""Replace a whole directory at once, so readers never see half of an update.

The new content is built in a sibling staging directory and swapped in with one
`renameat2(RENAME_EXCHANGE)` call on Linux: at every instant the target is either the
old directory or the new one. Elsewhere two renames leave a brief gap, never a mix.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from jinlin_analysis.errors import JinlinError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class BusyError(JinlinError):
    """Another process is updating the same directory."""


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """A copy of `target` to change; swapped in when the block ends, dropped on any error.

    SIGTERM during the block is turned into an exception, so that a stopped run cleans up
    like a failed one and the target is left exactly as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-staging-", dir=target.parent))
    previous = _raise_on_sigterm()
    try:
        if target.exists():  # copies the target's mode onto the staging directory too
            shutil.copytree(target, staging, dirs_exist_ok=True, copy_function=shutil.copy2)
        else:
            os.chmod(staging, 0o777 & ~current_umask())
        yield staging
        replace_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _restore_sigterm(previous)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def replace_directory(staging: Path, target: Path) -> None:
    """Put `staging` in place of `target`; the old content is removed afterwards."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)  # now holds the old content
        return
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextmanager
def directory_lock(target: Path) -> Iterator[None]:
    """One writer at a time: an exclusive lock on the target's parent directory."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(target.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BusyError(
                f"{target} is being updated by another process; try again when it has finished "
                "(另一个导入正在进行，请稍后再试)"
            ) from None
        yield
    finally:
        os.close(descriptor)


def _raise_on_sigterm() -> object:
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt("terminated")

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        return None


def _restore_sigterm(previous: object) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)  # type: ignore[arg-type]
