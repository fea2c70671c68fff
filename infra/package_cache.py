"""An offline deployment package for `chalice deploy` (`deploy.py --offline`).

`chalice deploy` zips app.py + chalicelib with the requirements, which it gets by running
`pip download` for Lambda (manylinux) wheels: a registry access every time the package inputs
change. Chalice first looks for `.chalice/deployments/<md5 of requirements.txt, app files and
vendor/>-<python>.zip` and reuses that file when present ("Reusing existing deployment package").

`seed()` writes that very file, computed by Chalice's own packager, from the distributions
installed in this Python environment: the requirements.txt packages and their dependencies
(boto3/botocore excluded, the Lambda runtime has them) plus the app files. The `chalice deploy`
that follows is then the real one, minus the download. Suitable when the package is not run by
AWS (a local endpoint, CI), or when this environment is Linux x86_64 with the Lambda Python
version, whose binary wheels (pydantic-core) are then the ones Lambda needs: `check_platform()`
says which.
"""

from __future__ import annotations

import platform
import re
import sys
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

PROVIDED_BY_RUNTIME = {"boto3", "botocore", "s3transfer"}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _packager():
    from chalice.deploy.packager import LambdaDeploymentPackager
    from chalice.utils import UI, OSUtils

    return LambdaDeploymentPackager(osutils=OSUtils(), dependency_builder=None, ui=UI())  # type: ignore[arg-type]


def lambda_python_version() -> str:
    from chalice.config import Config

    return Config().lambda_python_version


def package_path(project_dir: Path) -> Path:
    """The file `chalice deploy` looks for in its deployment-package cache."""
    return Path(_packager().deployment_package_filename(str(project_dir), lambda_python_version()))


def required_distributions(requirements_file: Path) -> list[metadata.Distribution]:
    """The installed distributions of requirements.txt and everything they depend on."""
    environment = default_environment()
    pending: list[tuple[str, frozenset[str]]] = []
    for line in requirements_file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            pending.append((requirement.name, frozenset(requirement.extras)))
    found: dict[str, metadata.Distribution] = {}
    while pending:
        name, extras = pending.pop()
        key = _normalize(name)
        if key in PROVIDED_BY_RUNTIME or key in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise RuntimeError(f"{name} (from {requirements_file.name}) is not installed in this environment: "
                               f"install the requirements or deploy without --offline") from exc
        found[key] = dist
        for text in dist.requires or []:
            dependency = Requirement(text)
            wanted = dependency.marker is None or any(
                dependency.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""}))
            if wanted:
                pending.append((dependency.name, frozenset(dependency.extras)))
    return [found[key] for key in sorted(found)]


def check_platform() -> str | None:
    """None when this environment's binary wheels fit Lambda (x86_64 Linux, same Python), else why not."""
    expected = lambda_python_version().replace("python", "")
    actual = f"{sys.version_info.major}.{sys.version_info.minor}"
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return f"this is {sys.platform}/{platform.machine()}, Lambda runs linux/x86_64"
    if actual != expected:
        return f"this is Python {actual}, the functions run {lambda_python_version()}"
    return None


def seed(project_dir: Path) -> tuple[Path, bool]:
    """(package path, created): write Chalice's cached deployment package unless it is there."""
    target = package_path(project_dir)
    if target.exists():
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    packager = _packager()
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for dist in required_distributions(project_dir / "requirements.txt"):
            for file in dist.files or []:
                parts = Path(str(file)).parts
                if parts[0] == ".." or "__pycache__" in parts or str(file).endswith(".pyc"):
                    continue  # console scripts outside site-packages, bytecode
                source = Path(str(dist.locate_file(file)))
                if source.is_file():
                    archive.write(source, str(file))
        packager._add_app_files(archive, str(project_dir))  # the same app files chalice adds itself
        vendor = project_dir / "vendor"
        if vendor.is_dir():
            for source in sorted(vendor.rglob("*")):
                if source.is_file():
                    archive.write(source, str(source.relative_to(vendor)))
    partial.replace(target)
    return target, True
