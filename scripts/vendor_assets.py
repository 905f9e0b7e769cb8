"""Vendor the front-end libraries (Apache ECharts, Leaflet) as local static files.

Pages are served on an intranet with no outside access and a CSP of 'self', so every script,
stylesheet and image is a static file of our own. This script runs once at set-up (`make install`,
standard library only, Node/npm not needed): it downloads the pinned npm tarballs, checks each
tarball's `dist.integrity` (sha512, copied from the registry's metadata) and each extracted file's
sha256, and writes only the files the pages use to ``src/ningju/web/static/vendor/`` (gitignored,
found by Django's app-directories finder, served by whitenoise, gathered by collectstatic).

Files already present with the pinned sha256 are left alone, so a second run needs no network.
``NINGJU_NPM_REGISTRY`` (or npm's own ``npm_config_registry``) names an npm mirror to use instead of
https://registry.npmjs.org; the pinned hashes are checked whatever the source.

    python scripts/vendor_assets.py            # fetch what is missing or wrong
    python scripts/vendor_assets.py --check    # report only, exit 1 if anything is missing or wrong
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEST = ROOT / "src" / "ningju" / "web" / "static" / "vendor"
DEFAULT_REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's dist.integrity of the tarball
    files: dict[str, tuple[str, str]]  # member in the tarball -> (path under DEST, sha256)

    def tarball_url(self, registry: str) -> str:
        return f"{registry.rstrip('/')}/{self.name}/-/{self.name}-{self.version}.tgz"


PACKAGES = [
    Package(
        name="echarts",
        version="5.6.0",
        integrity="sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA==",
        files={
            "package/dist/echarts.min.js": (
                "echarts/echarts.min.js", "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"),
            "package/LICENSE": (
                "echarts/LICENSE", "634293835b43a6dd2094fa39182a3d9a6b9ca43b7fdb9ac354e8037af2a3093a"),
            "package/NOTICE": (
                "echarts/NOTICE", "fa99ac3af859d0e13166906dc53a73ad34a08898da7e8ae83407275496e9e30c"),
        },
    ),
    Package(
        name="leaflet",
        version="1.9.4",
        integrity="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        files={
            "package/dist/leaflet.js": (
                "leaflet/leaflet.js", "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a"),
            # leaflet.js ends with a sourceMappingURL comment; collectstatic's manifest storage needs the file.
            "package/dist/leaflet.js.map": (
                "leaflet/leaflet.js.map", "600a10dc5cd110de0699510d322afcbe01c7ca90b4c5f48adc20314c70aac753"),
            "package/dist/leaflet.css": (
                "leaflet/leaflet.css", "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"),
            "package/dist/images/layers.png": (
                "leaflet/images/layers.png", "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6"),
            "package/dist/images/layers-2x.png": (
                "leaflet/images/layers-2x.png", "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf"),
            "package/dist/images/marker-icon.png": (
                "leaflet/images/marker-icon.png", "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437"),
            "package/dist/images/marker-icon-2x.png": (
                "leaflet/images/marker-icon-2x.png",
                "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528"),
            "package/dist/images/marker-shadow.png": (
                "leaflet/images/marker-shadow.png", "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da"),
            "package/LICENSE": (
                "leaflet/LICENSE", "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb"),
        },
    ),
]


def sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def stale_files(package: Package, dest: Path) -> list[str]:
    return [target for target, digest in package.files.values() if sha256_of(dest / target) != digest]


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(f"tarball integrity mismatch: expected sha512-{expected}, got sha512-{actual}")


def download(url: str, attempts: int = 3) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"refusing to fetch {url!r}: only http(s) registries")
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (scheme checked above)
                return response.read()
        except OSError as exc:
            if attempt == attempts:
                raise
            print(f"  {url}: {exc}; retrying", file=sys.stderr)
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def extract(package: Package, data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, (target, digest) in package.files.items():
            handle = archive.extractfile(member)  # a regular file member, read into memory: no path from the archive
            if handle is None:
                raise ValueError(f"{package.name}: {member} is not a regular file in the tarball")
            content = handle.read()
            actual = hashlib.sha256(content).hexdigest()
            if actual != digest:
                raise ValueError(f"{package.name}: {member} has sha256 {actual}, expected {digest}")
            path = dest / target
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".part")
            tmp.write_bytes(content)
            os.replace(tmp, path)


def vendor(dest: Path = DEST, *, check_only: bool = False, registry: str | None = None) -> int:
    registry = registry or os.environ.get("NINGJU_NPM_REGISTRY") or os.environ.get("npm_config_registry") \
        or DEFAULT_REGISTRY
    problems = 0
    for package in PACKAGES:
        stale = stale_files(package, dest)
        label = f"{package.name} {package.version}"
        if not stale:
            print(f"vendor: {label} present")
            continue
        if check_only:
            print(f"vendor: {label} missing or changed: {', '.join(stale)}")
            problems += 1
            continue
        url = package.tarball_url(registry)
        print(f"vendor: {label} fetching {url}")
        data = download(url)
        check_integrity(data, package.integrity)
        extract(package, data, dest)
        print(f"vendor: {label} written to {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if any(arg not in ("--check",) for arg in argv):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return vendor(check_only="--check" in argv)
    except (OSError, ValueError, tarfile.TarError) as exc:
        print(f"vendor: failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
