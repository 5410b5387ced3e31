"""Keep TransformerLens from changing the Python environment while it boots.

TransformerLens 4.3 installs torchvision on the fly when it cannot load a processor
during ``TransformerBridge.boot_transformers`` (``_ensure_torchvision`` in
``transformer_lens/model_bridge/sources/transformers/helpers.py`` runs
``pip install torchvision`` or ``uv pip install torchvision``). On a CPU-only torch
that silently replaces torch with a CUDA build plus gigabytes of packages.

`no_package_installs()` is a context manager that, for its duration:

1. replaces that helper with one that only *checks* for torchvision and raises
   `MissingPackageError` naming the package when it is absent;
2. refuses any subprocess whose command line is a package install (pip, uv, conda,
   mamba with ``install``), raising `MissingPackageError` as well, so an installer
   call added elsewhere in a later TransformerLens release is stopped too.

Other subprocesses pass through untouched. The patches are process-wide while the
context is open (TransformerLens reads the helper from its module), and are undone
on exit.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import subprocess
from typing import Any, Iterator, Sequence

from ...errors import SensesLensError

__all__ = ["MissingPackageError", "installed_distributions", "is_install_command", "no_package_installs"]

_HELPERS = "transformer_lens.model_bridge.sources.transformers.helpers"
_INSTALLERS = frozenset({"pip", "pip3", "uv", "conda", "mamba", "micromamba", "easy_install"})


class MissingPackageError(SensesLensError, ImportError):
    """A library wanted to install a package; senseslens never changes the environment."""


def is_install_command(args: Any) -> bool:
    """True when ``args`` (a Popen argument: list or string) runs a package installer's ``install``."""
    if isinstance(args, (str, bytes, os.PathLike)):
        parts = os.fsdecode(args).split()
    else:
        parts = [os.fsdecode(a) if isinstance(a, (str, bytes, os.PathLike)) else str(a) for a in args]
    names = [os.path.basename(p).lower() for p in parts]
    if "install" not in names and "add" not in names:
        return False
    return any(n in _INSTALLERS or n.startswith("pip") for n in names)


def _refusal(package: str, why: str) -> MissingPackageError:
    return MissingPackageError(
        f"TransformerLens tried to install {package} ({why}). senseslens does not let libraries "
        f"change your environment. If you need {package}, install a build that matches your torch "
        f"yourself (e.g. `pip install {package}` with the torch version pinned); otherwise pass the "
        "processor you already have (sl.load(model, processor)), which the TransformerLens backend "
        "hands to the bridge so it never looks for one."
    )


def _check_torchvision() -> bool:
    """Drop-in for TransformerLens' ``_ensure_torchvision``: checks, never installs."""
    if importlib.util.find_spec("torchvision") is not None:
        try:
            import torchvision  # noqa: F401

            return True
        except Exception as exc:  # a torchvision built for another torch fails to import
            raise _refusal("torchvision", f"it is installed but does not import: {type(exc).__name__}: {exc}") from exc
    raise _refusal("torchvision", "it could not load a processor and wanted torchvision to retry")


def _guarded(outer: Any) -> Any:
    """A stand-in for ``subprocess.Popen`` that refuses installs and hands the rest to ``outer``."""

    def check(args: Any) -> None:
        if is_install_command(args):
            shown = os.fsdecode(args) if isinstance(args, (str, bytes, os.PathLike)) else " ".join(map(str, args))
            raise _refusal("a package", f"command `{shown}`")

    if isinstance(outer, type):

        class _GuardedPopen(outer):  # type: ignore[misc, valid-type]
            def __init__(self, args: Any, *rest: Any, **kwargs: Any) -> None:
                check(args)
                super().__init__(args, *rest, **kwargs)

        return _GuardedPopen

    def guarded_popen(args: Any, *rest: Any, **kwargs: Any) -> Any:
        check(args)
        return outer(args, *rest, **kwargs)

    return guarded_popen


@contextlib.contextmanager
def no_package_installs() -> Iterator[None]:
    """Block TransformerLens' auto-install helper and any installer subprocess for the block."""
    helpers = None
    original_helper = None
    if importlib.util.find_spec("transformer_lens") is not None:
        helpers = importlib.import_module(_HELPERS)
        original_helper = getattr(helpers, "_ensure_torchvision", None)
    original_popen = subprocess.Popen
    try:
        if helpers is not None and original_helper is not None:
            helpers._ensure_torchvision = _check_torchvision  # type: ignore[attr-defined]
        subprocess.Popen = _guarded(original_popen)  # type: ignore[misc]
        yield
    finally:
        subprocess.Popen = original_popen  # type: ignore[misc]
        if helpers is not None and original_helper is not None:
            helpers._ensure_torchvision = original_helper  # type: ignore[attr-defined]


def installed_distributions() -> Sequence[tuple[str, str]]:
    """Sorted ``(name, version)`` of every installed distribution (to prove nothing changed)."""
    from importlib.metadata import distributions

    return sorted({(d.metadata["Name"] or "", d.version) for d in distributions()})
