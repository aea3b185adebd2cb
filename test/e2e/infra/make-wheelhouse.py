#!/usr/bin/env python3
"""Build an offline PEP 503 package index from Debian's python3-* packages.

PyPI is unreachable here, Debian's source packages mostly are too, but the
binary .debs are not. Each wanted distribution is rebuilt as a wheel from the
files its .deb(s) put under /usr/lib/python3/dist-packages:

  * METADATA: Name/Version/Summary from the egg-info PKG-INFO or dist-info
    METADATA, Requires-Dist from requires.txt (sections -> extras/markers) or
    the dist-info. Debian strips install_requires from several packages, so
    KNOWN_REQUIRES adds the real upstream dependencies back.
  * Requirements whose version range excludes the version Debian ships
    (Debian patches such pins away) are relaxed to the bare name, logged.
  * entry_points.txt is kept, so pip creates console scripts (gunicorn, ...).
  * Symlinks are resolved (werkzeug's debugger links to libjs-jquery);
    dangling ones are dropped with a warning.
  * Packages with C extensions become cp311-cp311-linux_x86_64 wheels; they
    need Debian's runtime libraries (psycopg2: libpq5).
  * Debian's genuine wheels (python3-{pip,setuptools,wheel}-whl) are copied.

Output (OUT):
  files/*.whl                      (plain directory: usable as --find-links)
  simple/index.html, simple/<normalized-name>/index.html (PEP 503)
  index.html                       (marker + links)

usage: make-wheelhouse.py --archive URI --work DIR --out DIR
The caller (setup.sh) rebuilds when this file's hash changes, so the package
list below is the cache key.
"""
from __future__ import annotations

import argparse
import base64
import csv
import email.parser
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

DIST_PACKAGES = "usr/lib/python3/dist-packages"
PY_TAG = "cp311"
PLAT_TAG = "linux_x86_64"

# One wheel per entry: (debs merged into it; the first carries the metadata).
# "NAME/SUITE" takes the package from another suite (apt-get download syntax;
# the suite must be in the machine's apt sources: setup.sh adds trixie).
WHEELS: list[list[str]] = [
    # Flask stack
    ["python3-flask"], ["python3-werkzeug"], ["python3-jinja2"],
    ["python3-markupsafe"], ["python3-itsdangerous"], ["python3-click"],
    ["python3-blinker"], ["python3-dotenv"],
    # servers
    ["python3-gunicorn"], ["python3-uvicorn"], ["python3-h11"],
    ["python3-asgiref"], ["python3-httptools"], ["python3-uvloop"],
    ["python3-websockets"], ["python3-yaml"], ["python3-watchgod"],
    # FastAPI stack
    ["python3-fastapi"], ["python3-starlette"], ["python3-pydantic"],
    ["python3-anyio"], ["python3-sniffio"], ["python3-idna"],
    ["python3-typing-extensions"], ["python3-multipart"],
    ["python3-email-validator"], ["python3-dnspython"],
    # databases
    ["python3-psycopg2"], ["python3-psycopg"], ["python3-psycopg-pool"],
    ["python3-sqlalchemy", "python3-sqlalchemy-ext"], ["python3-greenlet"],
    ["python3-alembic"], ["python3-mako"], ["python3-flask-sqlalchemy"],
    # MySQL/MariaDB drivers: PyMySQL (pure Python) and mysqlclient (MySQLdb, needs
    # libmariadb3 at run time, as psycopg2 needs libpq5)
    ["python3-pymysql"], ["python3-mysqldb"],
    ["python3-flask-migrate"],
    ["python3-redis"], ["python3-async-timeout"], ["python3-deprecated"],
    ["python3-wrapt"],
    # HTTP client (healthchecks, smoke tests)
    ["python3-requests"], ["python3-urllib3"], ["python3-certifi"],
    ["python3-charset-normalizer"],
    ["python3-asyncpg"], ["python3-databases"], ["python3-hiredis"],
    # task queues: Celery (+ its click plugins) and RQ
    ["python3-celery"], ["python3-kombu"], ["python3-billiard"],
    ["python3-vine"], ["python3-amqp"], ["python3-click-didyoumean"],
    ["python3-click-repl"], ["python3-click-plugins"],
    ["python3-prompt-toolkit"], ["python3-wcwidth"], ["python3-six"],
    ["python3-dateutil"], ["python3-tz"], ["python3-rq"],
    # Django: 4.2 LTS from trixie (architecture-independent; bookworm has 3.2)
    ["python3-django/trixie"], ["python3-sqlparse"], ["python3-whitenoise"],
    ["python3-dj-database-url"], ["python3-django-environ"],
    ["python3-decouple"],
    # build tooling
    ["python3-packaging"],
]
# Debian ships these as genuine upstream wheels in /usr/share/python-wheels.
WHL_DEBS = ["python3-pip-whl", "python3-setuptools-whl", "python3-wheel-whl"]
# Only extracted to resolve symlinks that point outside dist-packages.
SUPPORT_DEBS = ["libjs-jquery"]

# Debian links these extensions against its own shared libraries, which a
# python:*-slim image lacks (upstream manylinux wheels bundle them). Bundle
# them like auditwheel does: copy the library into "<dist>.libs/" inside the
# wheel and point the extension's RPATH there (patchelf).
# psycopg2 is left linked to the system libpq5 on purpose: that is also what a
# psycopg2 built from source needs at run time.
BUNDLE_LIBS: dict[str, list[str]] = {
    "uvloop": ["libuv1"],
    "httptools": ["libhttp-parser2.9"],
    "pyyaml": ["libyaml-0-2"],
}
LIBDIR = "usr/lib/x86_64-linux-gnu"

# The same files published under a second name (Name in METADATA changed).
# psycopg2-binary upstream bundles libpq; this one needs libpq5 at runtime.
ALIASES = {"psycopg2": ["psycopg2-binary"]}

# Upstream install_requires that Debian's metadata lacks (merged by name;
# what Debian's metadata already lists wins).
KNOWN_REQUIRES: dict[str, list[str]] = {
    "flask": ["Werkzeug>=2.2.2", "Jinja2>=3.0", "itsdangerous>=2.0", "click>=8.0"],
    "werkzeug": ["MarkupSafe>=2.1.1"],
    "jinja2": ["MarkupSafe>=2.0"],
    "mako": ["MarkupSafe>=0.9.2"],
    "uvicorn": ["asgiref>=3.4.0", "click>=7.0", "h11>=0.8"],
    "anyio": ["idna>=2.8", "sniffio>=1.1"],
    "alembic": ["SQLAlchemy>=1.3.0", "Mako"],
    "gunicorn": ["setuptools>=3.0"],
    "pydantic": ["typing-extensions>=4.2.0"],
    "sqlalchemy": ['greenlet!=0.4.17; platform_machine == "x86_64" or platform_machine == "aarch64"'],
    "flask-sqlalchemy": ["Flask>=2.2", "SQLAlchemy>=1.4.18"],
    "flask-migrate": ["Flask-SQLAlchemy>=1.0", "Flask>=0.9", "alembic>=1.9.0"],
    "starlette": ["anyio<5,>=3.4.0"],
    "fastapi": ["pydantic<2.0.0,>=1.6.2", "starlette<0.26.0,>=0.25.0"],
    "requests": ["charset_normalizer<4,>=2", "idna<4,>=2.5", "urllib3<1.27,>=1.21.1", "certifi>=2017.4.17"],
    "redis": ["async-timeout>=4.0.2", "deprecated>=1.2.3", "packaging>=20.4"],
    "deprecated": ["wrapt<2,>=1.10"],
    "psycopg": ["typing-extensions>=4.1"],
    "psycopg-pool": ["typing-extensions>=3.10"],
    "email-validator": ["dnspython>=1.15.0", "idna>=2.0.0"],
    "websockets": [],
    "watchgod": ["anyio<4,>=3.0.0"],
    "databases": ["sqlalchemy<1.5,>=1.4.42"],
    "celery": ["pytz>=2021.3", "billiard<4.0,>=3.6.4.0", "kombu<6.0,>=5.2.3", "vine<6.0,>=5.0.0",
               "click<9.0,>=8.0.3", "click-didyoumean>=0.0.3", "click-repl>=0.2.0",
               "click-plugins>=1.1.1"],
    "kombu": ["amqp<6.0.0,>=5.0.9", "vine"],
    "amqp": ["vine<6.0.0,>=5.0.0"],
    "click-didyoumean": ["click>=7"],
    "click-plugins": ["click>=4.0"],
    "click-repl": ["click>=7.0", "prompt-toolkit", "six"],
    "prompt-toolkit": ["wcwidth"],
    "python-dateutil": ["six>=1.5"],
    "rq": ["click>=5.0.0", "redis>=3.5.0"],
    "django-environ": ["Django", "six"],
}

# psycopg2 sdist, if Debian's archive (--archive) serves it (not here: 404).
PSYCOPG2_ORIG = "{archive}/pool/main/p/psycopg2/psycopg2_{v}.orig.tar.gz"


def log(msg: str) -> None:
    print(f"[make-wheelhouse] {msg}", file=sys.stderr, flush=True)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_escape(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name)


def pkg(spec: str) -> str:
    """'python3-django/trixie' -> 'python3-django'"""
    return spec.split("/", 1)[0]


def run(*cmd: str, cwd: Path | None = None) -> None:
    subprocess.run(cmd, check=True, cwd=cwd, stdout=sys.stderr)


# --------------------------------------------------------------------------
def download(debs: list[str], dest: Path) -> dict[str, Path]:
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.deb"):
        old.unlink()
    # apt drops privileges to _apt for downloads; let it write here
    try:
        shutil.chown(dest, user="_apt")
    except (LookupError, PermissionError, OSError):
        pass
    run("apt-get", "download", "-q", "-o", "Acquire::Retries=3", *debs, cwd=dest)
    out: dict[str, Path] = {}
    for f in dest.glob("*.deb"):
        out[f.name.split("_", 1)[0]] = f
    missing = sorted({pkg(d) for d in debs} - set(out))
    if missing:
        raise SystemExit(f"apt-get download did not fetch: {missing}")
    return out


def extract(deb: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    run("dpkg-deb", "-x", str(deb), str(dest))
    return dest


def deb_upstream_version(deb: Path) -> str:
    v = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                       capture_output=True, text=True).stdout.strip()
    v = v.split(":", 1)[-1]          # epoch
    v = v.rsplit("-", 1)[0]          # debian revision
    v = re.split(r"[+~]", v)[0]      # +dfsg, +ds1, ~deb12u1
    return v


# --------------------------------------------------------------------------
def parse_requires_txt(text: str) -> list[str]:
    """setuptools requires.txt -> Requires-Dist strings with markers."""
    reqs: list[str] = []
    extra, marker = None, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([^\]:]*)(?::(.*))?\]", line)
        if m:
            extra = m.group(1) or None
            marker = m.group(2) or None
            continue
        parts = []
        if marker:
            parts.append(f"({marker})")
        if extra:
            parts.append(f'extra == "{extra}"')
        reqs.append(f"{line}; {' and '.join(parts)}" if parts else line)
    return reqs


class Dist:
    def __init__(self, debs: list[str]):
        self.debs = debs
        self.roots: list[Path] = []
        self.name = ""
        self.version = ""
        self.summary = ""
        self.requires_python = ""
        self.requires: list[str] = []
        self.extras: list[str] = []
        self.entry_points: str | None = None
        self.top_level: str | None = None
        self.meta_dir: Path | None = None


def read_metadata(dist: Dist, deb_paths: dict[str, Path]) -> None:
    root = dist.roots[0] / DIST_PACKAGES
    metas = [p for p in root.iterdir() if p.name.endswith((".egg-info", ".dist-info"))]
    if len(metas) != 1:
        raise SystemExit(f"{dist.debs[0]}: expected one egg-info/dist-info, got {metas}")
    meta = metas[0]
    dist.meta_dir = meta
    if meta.is_file():  # egg-info as a single PKG-INFO file
        pkginfo, reqtxt = meta.read_text(), ""
    elif meta.name.endswith(".egg-info"):
        pkginfo = (meta / "PKG-INFO").read_text()
        reqtxt = (meta / "requires.txt").read_text() if (meta / "requires.txt").exists() else ""
    else:
        pkginfo = (meta / "METADATA").read_text()
        reqtxt = ""
    msg = email.parser.Parser().parsestr(pkginfo, headersonly=True)
    dist.name = msg["Name"]
    dist.version = msg["Version"]
    dist.summary = (msg.get("Summary") or "").replace("\n", " ")
    dist.requires_python = msg.get("Requires-Python") or ""
    if meta.name.endswith(".dist-info"):
        dist.requires = list(msg.get_all("Requires-Dist") or [])
    else:
        dist.requires = parse_requires_txt(reqtxt)
    dist.extras = list(msg.get_all("Provides-Extra") or [])
    if meta.is_dir():
        ep = meta / "entry_points.txt"
        dist.entry_points = ep.read_text() if ep.exists() else None
        tl = meta / "top_level.txt"
        dist.top_level = tl.read_text() if tl.exists() else None
    # "1.8.1.dev0" for a released 1.8.1 (alembic, mako) or "0.0.dev0"
    # (watchgod, built without its version file): Debian's upstream version
    # is the truth for development versions
    if re.search(r"\.dev\d*$", dist.version):
        upstream = deb_upstream_version(deb_paths[pkg(dist.debs[0])])
        if re.fullmatch(r"\d+(\.\d+)*", upstream) and upstream != dist.version:
            log(f"{dist.name}: version {dist.version} -> {upstream} (Debian's upstream version)")
            dist.version = upstream


def add_known_requires(dist: Dist, Requirement) -> None:
    known = KNOWN_REQUIRES.get(norm(dist.name))
    if not known:
        return
    have = {norm(Requirement(r).name) for r in dist.requires
            if "extra ==" not in str(Requirement(r).marker or "")}
    for r in known:
        if norm(Requirement(r).name) not in have:
            log(f"{dist.name}: adding missing upstream requirement {r!r}")
            dist.requires.append(r)


def relax_requires(dists: dict[str, Dist], Requirement, Version) -> list[str]:
    """Drop version ranges that exclude what we ship; report unresolvable."""
    env = {"python_version": "3.11", "python_full_version": "3.11.2",
           "sys_platform": "linux", "platform_system": "Linux",
           "platform_machine": "x86_64", "os_name": "posix",
           "implementation_name": "cpython", "platform_python_implementation": "CPython"}
    problems = []
    for d in dists.values():
        new = []
        for r in d.requires:
            req = Requirement(r)
            extra = None
            m = re.search(r"""extra\s*==\s*['"]([^'"]+)['"]""", str(req.marker or ""))
            if m:
                extra = m.group(1)
            applies = req.marker is None or req.marker.evaluate({**env, "extra": extra or ""})
            target = dists.get(norm(req.name))
            if applies and target is not None and req.specifier and \
                    not req.specifier.contains(Version(target.version), prereleases=True):
                log(f"{d.name}: relaxing {req.name}{req.specifier} "
                    f"(we ship {target.version})")
                req.specifier = type(req.specifier)("")
                r = str(req)
            if applies and target is None and extra is None:
                problems.append(f"{d.name} needs {r!r}, not in the index")
            new.append(r)
        d.requires = new
        for e in re.findall(r"""extra\s*==\s*['"]([^'"]+)['"]""", " ".join(d.requires)):
            if e not in d.extras:
                d.extras.append(e)
    return problems


# --------------------------------------------------------------------------
def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def collect_files(dist: Dist, support_roots: list[Path]) -> list[tuple[str, bytes, int]]:
    """(archive path, bytes, mode) for every file of the distribution."""
    files: dict[str, tuple[bytes, int]] = {}
    for root in dist.roots:
        base = root / DIST_PACKAGES
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"
                           and not d.endswith((".egg-info", ".dist-info"))]
            for fn in filenames:
                p = Path(dirpath) / fn
                rel = p.relative_to(base).as_posix()
                if fn.endswith((".pyc", ".pyo")) or (p.parent == base and fn.endswith((".egg-info", ".dist-info"))):
                    continue
                real = p
                if p.is_symlink():
                    target = os.readlink(p)
                    cands = []
                    if os.path.isabs(target):
                        cands = [r / target.lstrip("/") for r in [root, *dist.roots, *support_roots]]
                    else:
                        # relative link: resolve inside this deb's tree, then
                        # re-anchor it in the other extracted trees
                        resolved = Path(os.path.normpath(p.parent / target))
                        try:
                            inner = resolved.relative_to(root)
                            cands = [r / inner for r in [root, *dist.roots, *support_roots]]
                        except ValueError:
                            cands = [resolved]
                    real = next((c for c in cands if c.exists() and not c.is_symlink()), None)
                    if real is None:
                        log(f"{dist.name}: dropping dangling symlink {rel} -> {target}")
                        continue
                if real.is_dir():
                    log(f"{dist.name}: dropping symlinked directory {rel}")
                    continue
                mode = real.stat().st_mode & 0o777
                files[rel] = (real.read_bytes(), mode)
    return [(k, v[0], v[1]) for k, v in sorted(files.items())]


def needed(path: Path) -> list[str]:
    out = subprocess.run(["patchelf", "--print-needed", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def bundle_libs(dist: Dist, files, lib_roots: list[Path], work: Path):
    """auditwheel-style: vendor Debian shared libs, set RPATH to them."""
    libs: dict[str, Path] = {}
    for r in lib_roots:
        for p in (r / LIBDIR).glob("*.so.*"):
            libs[p.name] = p.resolve()  # SONAME symlink -> real file
    libs_dir = f"{wheel_escape(dist.name).lower()}.libs"
    tmp = work / "patchelf"
    tmp.mkdir(parents=True, exist_ok=True)
    out, wanted = [], set()
    for rel, data, mode in files:
        if not rel.endswith(".so"):
            out.append((rel, data, mode))
            continue
        f = tmp / "ext.so"
        f.write_bytes(data)
        need = [n for n in needed(f) if n in libs]
        if need:
            depth = rel.count("/")
            rpath = "$ORIGIN/" + "../" * depth + libs_dir
            run("patchelf", "--set-rpath", rpath, str(f))
            data = f.read_bytes()
            wanted.update(need)
            log(f"{dist.name}: {rel} -> RPATH {rpath} for {need}")
        out.append((rel, data, mode))
    for name in sorted(wanted):
        out.append((f"{libs_dir}/{name}", libs[name].read_bytes(), 0o755))
    if not wanted:
        raise SystemExit(f"{dist.name}: nothing to bundle from {lib_roots} (stale BUNDLE_LIBS?)")
    return sorted(out)


def write_wheel(dist: Dist, files, out_dir: Path, name: str | None = None) -> Path:
    name = name or dist.name
    has_ext = any(f[0].endswith(".so") for f in files)
    tag = f"{PY_TAG}-{PY_TAG}-{PLAT_TAG}" if has_ext else "py3-none-any"
    dist_info = f"{wheel_escape(name)}-{dist.version}.dist-info"
    whl = out_dir / f"{wheel_escape(name)}-{dist.version}-{tag}.whl"

    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {dist.version}"]
    if dist.summary:
        meta.append(f"Summary: {dist.summary}")
    if dist.requires_python:
        meta.append(f"Requires-Python: {dist.requires_python}")
    meta += [f"Provides-Extra: {e}" for e in dist.extras]
    meta += [f"Requires-Dist: {r}" for r in dist.requires]
    meta.append(f"Description: Repacked from Debian's {' + '.join(dist.debs)} "
                "by create-pyimage's e2e infrastructure.")
    extra_files = {
        f"{dist_info}/METADATA": ("\n".join(meta) + "\n").encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: create-pyimage-make-wheelhouse\n"
            f"Root-Is-Purelib: {'false' if has_ext else 'true'}\nTag: {tag}\n").encode(),
    }
    if dist.entry_points:
        extra_files[f"{dist_info}/entry_points.txt"] = dist.entry_points.encode()
    if dist.top_level:
        extra_files[f"{dist_info}/top_level.txt"] = dist.top_level.encode()

    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(whl, "w", zipfile.ZIP_DEFLATED) as zf:
        def add(path: str, data: bytes, mode: int = 0o644) -> None:
            zi = zipfile.ZipInfo(path, date_time=(2023, 1, 1, 0, 0, 0))
            zi.external_attr = (0o100000 | mode) << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
            writer.writerow([path, record_hash(data), len(data)])
        for path, data, mode in files:
            add(path, data, mode)
        for path, data in extra_files.items():
            add(path, data)
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        zi = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=(2023, 1, 1, 0, 0, 0))
        zi.external_attr = (0o100644) << 16
        zf.writestr(zi, record.getvalue())
    return whl


def write_index(out: Path) -> None:
    files = out / "files"
    by_name: dict[str, list[Path]] = {}
    for f in sorted(files.iterdir()):
        if f.suffix == ".whl":
            project = f.name.split("-", 1)[0]
        elif f.name.endswith(".tar.gz"):
            project = f.name[: -len(".tar.gz")].rsplit("-", 1)[0]
        else:
            continue
        by_name.setdefault(norm(project), []).append(f)
    simple = out / "simple"
    simple.mkdir(parents=True, exist_ok=True)
    root_links = []
    for project, fs in sorted(by_name.items()):
        d = simple / project
        d.mkdir(exist_ok=True)
        links = []
        for f in fs:
            sha = hashlib.sha256(f.read_bytes()).hexdigest()
            links.append(f'<a href="../../files/{html.escape(f.name)}#sha256={sha}">'
                         f"{html.escape(f.name)}</a><br/>")
        (d / "index.html").write_text(
            "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
            f"<title>Links for {project}</title></head><body>\n"
            f"<!-- create-pyimage-index -->\n<h1>Links for {project}</h1>\n"
            + "\n".join(links) + "\n</body></html>\n")
        root_links.append(f'<a href="{project}/">{project}</a><br/>')
    (simple / "index.html").write_text(
        "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\">"
        "<title>Simple index</title></head><body>\n<!-- create-pyimage-index -->\n"
        + "\n".join(root_links) + "\n</body></html>\n")
    (out / "index.html").write_text(
        "<!DOCTYPE html>\n<html><body><!-- create-pyimage-index -->\n"
        '<a href="simple/">simple/</a> (PEP 503 index) <a href="files/">files/</a> (find-links)\n'
        "</body></html>\n")


def try_psycopg2_sdist(archive: str, version: str, files: Path) -> bool:
    import urllib.request
    url = PSYCOPG2_ORIG.format(archive=archive.rstrip("/"), v=version)
    try:
        with urllib.request.urlopen(url, timeout=15) as r:
            data = r.read()
    except Exception as exc:  # noqa: BLE001
        log(f"psycopg2 sdist not available from Debian's archive ({url}: {exc}); "
            "keeping only the binary wheel")
        return False
    (files / f"psycopg2-{version}.tar.gz").write_bytes(data)
    log(f"added psycopg2-{version}.tar.gz from {url}")
    return True


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", required=True,
                    help="Debian archive URI (the one in the machine's apt sources)")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    work, out = args.work.resolve(), args.out.resolve()

    bundle_debs = {d for v in BUNDLE_LIBS.values() for d in v}
    all_debs = sorted({d for w in WHEELS for d in w} | set(WHL_DEBS) | set(SUPPORT_DEBS)
                      | bundle_debs)
    log(f"downloading {len(all_debs)} Debian packages")
    deb_paths = download(all_debs, work / "debs")
    roots = {name: extract(p, work / "x" / name) for name, p in deb_paths.items()}

    # packaging (for markers/specifiers) from the extracted python3-packaging
    sys.path.insert(0, str(roots["python3-packaging"] / DIST_PACKAGES))
    from packaging.requirements import Requirement
    from packaging.version import Version

    dists: dict[str, Dist] = {}
    for debs in WHEELS:
        d = Dist(debs)
        d.roots = [roots[pkg(x)] for x in debs]
        read_metadata(d, deb_paths)
        add_known_requires(d, Requirement)
        dists[norm(d.name)] = d
    # genuine wheels count for dependency checks (setuptools, wheel, pip)
    genuine: list[Path] = []
    for deb in WHL_DEBS:
        genuine += sorted((roots[deb] / "usr/share/python-wheels").glob("*.whl"))
    for g in genuine:
        n, v = g.name.split("-")[:2]
        stub = Dist([g.name])
        stub.name, stub.version = n, v
        dists.setdefault(norm(n), stub)
    problems = relax_requires(dists, Requirement, Version)
    if problems:
        for p in problems:
            log("ERROR: " + p)
        return 1

    files_dir = out / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    support_roots = [roots[x] for x in SUPPORT_DEBS]
    for d in dists.values():
        if not d.roots:
            continue
        fl = collect_files(d, support_roots)
        if norm(d.name) in BUNDLE_LIBS:
            fl = bundle_libs(d, fl, [roots[x] for x in BUNDLE_LIBS[norm(d.name)]], work)
        whl = write_wheel(d, fl, files_dir)
        log(f"wheel {whl.name} ({len(fl)} files)")
        for alias in ALIASES.get(norm(d.name), []):
            whl = write_wheel(d, fl, files_dir, name=alias)
            log(f"wheel {whl.name} (alias of {d.name})")
    for g in genuine:
        shutil.copy2(g, files_dir / g.name)
        log(f"wheel {g.name} (Debian's own wheel)")
    try_psycopg2_sdist(args.archive, dists["psycopg2"].version, files_dir)
    write_index(out)
    log(f"index written to {out} ({len(list(files_dir.iterdir()))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
