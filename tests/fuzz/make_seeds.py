#!/usr/bin/env python3
"""Writes tests/fuzz/seeds/<target>/: small inputs made for the fuzz targets (text formats by hand,
the tar and zip seeds built here from our own bytes). The CI fuzz tests replay and mutate them.
Run again after changing it; the output is deterministic."""
import os, io, tarfile, zipfile, gzip, json, hashlib
S = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds')
def put(target, name, data):
    d = os.path.join(S, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), 'wb').write(data)

# --- apt
put('apt', 'release', """Origin: Example
Label: Example
Suite: stable
Codename: demo
Date: Sat, 01 Jun 2024 10:00:00 UTC
Valid-Until: Sat, 08 Jun 2024 10:00:00 UTC
Architectures: amd64 arm64
Components: main
Description: a small archive written for the fuzz seeds
SHA256:
 3b1a0e2b5c9d8f7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f 812 main/binary-amd64/Packages
 0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0 401 main/binary-amd64/Packages.xz
""")
put('apt', 'inrelease', """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Origin: Example
Suite: stable
Codename: demo
Date: Sat, 01 Jun 2024 10:00:00 UTC
Acquire-By-Hash: yes
SHA256:
 3b1a0e2b5c9d8f7e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f 812 main/binary-amd64/Packages
- -dash-escaped line
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCgAdFiEEexampleexampleexampleexampleexample=
=abcd
-----END PGP SIGNATURE-----
""")
put('apt', 'packages', """Package: libdemo1
Source: demo (1.2-3)
Version: 1:1.2.3-3+deb12u1
Installed-Size: 120
Architecture: amd64
Multi-Arch: same
Depends: libc6 (>= 2.34), libzz1 (>= 1:1.2) | libzz-alt, base-files:any
Pre-Depends: dpkg (>= 1.19)
Provides: libdemo (= 1.2.3), demo-api
Breaks: olddemo (<< 1.0~)
Conflicts: demo-legacy
Filename: pool/main/d/demo/libdemo1_1.2.3-3+deb12u1_amd64.deb
Size: 4242
SHA256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
Description: demo library

Package: demo-tools
Version: 2.0~rc1-1
Architecture: all
Multi-Arch: foreign
Depends: libdemo1 (= ${binary:Version}), python3:any
Recommends: demo-doc
Filename: pool/main/d/demo/demo-tools_2.0~rc1-1_all.deb
Size: 100
SHA256: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
""")
put('apt', 'status', """Package: base-files
Status: install ok installed
Priority: required
Essential: yes
Architecture: amd64
Version: 12.4+deb12u5
Replaces: base
Provides: base

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: 2.36-9+deb12u4
Depends: libgcc-s1

Package: removed
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1
""")

# --- conda_env
put('conda_env', 'environment.yml', """name: demo
channels:
  - conda-forge
  - nodefaults
dependencies:
  - python=3.11
  - numpy>=1.26,<2
  - conda-forge::pandas 2.1.*
  - pytorch::pytorch[build=*cuda*]
  - cuda-version=12.1
  - pip
  - pip:
      - requests==2.31.0
      - -r requirements.txt
variables:
  OMP_NUM_THREADS: "1"
""")
put('conda_env', 'conda-lock.yml', """version: 1
metadata:
  content_hash:
    linux-64: 0123abcd
  channels:
    - url: conda-forge
      used_env_vars: []
  platforms:
    - linux-64
  sources:
    - environment.yml
package:
  - name: python
    version: 3.11.6
    manager: conda
    platform: linux-64
    dependencies:
      libzlib: '>=1.2.13,<2.0.0a0'
    url: https://conda.anaconda.org/conda-forge/linux-64/python-3.11.6-hab00c5b_0_cpython.conda
    hash:
      md5: b0dfbe2fcbfdb097d321bfd50ecddab1
      sha256: 84f13bd70cff5dcdaee19263b2d4291d5793856a718efc1b63a9cfa9eb6e2ca1
    category: main
    optional: false
  - name: requests
    version: 2.31.0
    manager: pip
    platform: linux-64
    dependencies: {}
    url: https://files.pythonhosted.org/packages/requests-2.31.0-py3-none-any.whl
    hash:
      sha256: 58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f
""")
put('conda_env', 'explicit.lock', """# platform: linux-64
@EXPLICIT
https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.2.13-hd590300_5.conda#f36c115f1ee199da648e0597ec2047ad
https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda#161081fc7cec0bfda0d86d7cb595f8d8
""")

# --- conda_repodata
rd = {"info": {"subdir": "linux-64"},
      "packages": {"zlib-1.2.13-hd590300_5.tar.bz2": {"name": "zlib", "version": "1.2.13", "build": "hd590300_5", "build_number": 5,
          "depends": ["libzlib 1.2.13 hd590300_5"], "license": "Zlib", "md5": "68c34ec6149623be41a1933ab996a209",
          "sha256": "9887a9f1f6ab9fd0d6fb6e6bf0e5a9d87c4ad0ba43d4e0b4f5a4e5e4a4e5e4a4", "size": 92825, "subdir": "linux-64", "timestamp": 1686575452000}},
      "packages.conda": {"numpy-1.26.4-py311h64a7726_0.conda": {"name": "numpy", "version": "1.26.4", "build": "py311h64a7726_0", "build_number": 0,
          "depends": ["libblas >=3.9.0,<4.0a0", "python >=3.11,<3.12.0a0", "python_abi 3.11.* *_cp311"], "constrains": ["numpy-base <0a0"],
          "license": "BSD-3-Clause", "md5": "a502d7aad449a1206efb366d6a12c52d", "size": 8065890},
        "tqdm-4.66.1-pyhd8ed1ab_0.conda": {"name": "tqdm", "version": "4.66.1", "build": "pyhd8ed1ab_0", "noarch": "python", "depends": ["colorama", "python >=3.7"]},
        "tqdm-4.66.2-pyhd8ed1ab_0.conda": {"name": "tqdm", "version": "4.66.2", "build": "pyhd8ed1ab_0", "noarch": "python", "track_features": "", "features": ""}},
      "removed": ["old-1.0-0.tar.bz2"], "repodata_version": 1}
put('conda_repodata', 'repodata.json', json.dumps(rd, indent=1))
put('conda_repodata', 'v2.json', json.dumps({"info": {"subdir": "noarch", "base_url": "https://mirror.example/cf/noarch/"}, "repodata_version": 2,
   "packages.conda": {"a-1.0-0.conda": {"name": "a", "version": "1.0", "build": "0", "build_number": 0, "sha256": "0"*64}}}))

# --- conda_spec
for i, t in enumerate(["1.2.3", "1.0rc1.post2.dev3", "2!1.0_alpha+local.7", ">=1.21,<2|==0.9.*", "numpy >=1.26 py311*",
        "conda-forge/linux-64::python[version='>=3.11,<3.12', build=*_cpython]", "^1\\.2\\.[0-9]+$", "1.2.*", "~=3.4.5",
        "pytorch=2.1=*cuda*", "*", "python_abi 3.11.* *_cp311"]):
    put('conda_spec', f'spec{i:02}', t)

# --- cran_packages
put('cran_packages', 'PACKAGES', """Package: data.table
Version: 1.14.8
Depends: R (>= 3.1.0)
Imports: methods
Suggests: bit64 (>= 4.0.0), knitr
License: MPL-2.0 | file LICENSE
MD5sum: 0a1b2c3d4e5f60718293a4b5c6d7e8f9
NeedsCompilation: yes
Built: R 4.3.2; x86_64-pc-linux-gnu; 2024-01-15 10:00:00 UTC; unix
OS_type: unix
SystemRequirements: zlib

Package: jsonlite
Version: 1.8.8
Depends: methods
Imports: utils (>= 3.0), Rcpp (>= 1.0.0)
LinkingTo: Rcpp
License: MIT + file LICENSE
NeedsCompilation: no
Path: Archive/jsonlite
""")
put('cran_packages', 'DESCRIPTION', """Package: demo
Type: Package
Title: A Demo
Version: 0.1.0-2
Authors@R: person("A", "B", email = "a@example.org", role = c("aut", "cre"))
Description: Written for the fuzz seeds; a long field
    continued on an indented line.
Depends: R (>= 4.1.0)
Imports:
    dplyr (>= 1.1.0),
    ggplot2
Remotes: github::r-lib/cli
Encoding: UTF-8
""")
put('cran_packages', 'deps', "R (>= 4.0), Rcpp (>= 1.0.10), stats, utils (> 1.2-3), grid")
put('cran_packages', 'built', "R 4.3.1; ; 2023-08-01 12:00:00 UTC; unix")
put('cran_packages', 'version', "1.2-3.4")
put('cran_packages', 'archive.html', """<html><body><pre><a href="toast_0.1.tar.gz">toast_0.1.tar.gz</a> 2020-01-01
<a href="toast_0.2-1.tar.gz">toast_0.2-1.tar.gz</a> 2021-02-03
</pre></body></html>
""")

# --- dcf
put('dcf', 'control', """Package: hostname
Version: 3.23+nmu1
Architecture: amd64
Maintainer: Example <a@example.org>
Installed-Size: 50
Depends: libc6 (>= 2.34)
Section: admin
Priority: required
Description: utility to set/show the host name
 This package provides commands.
 .
 A second paragraph.
""")
put('dcf', 'two', """# a comment
Package: a
Field:value
Long: first
\tsecond with tab

Package: b
""")

# --- docker_config
put('docker_config', 'auths.json', json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"},
   "ghcr.io": {"username": "u", "password": "p"}, "quay.io": {"identitytoken": "tok"},
   "localhost:5000": {"auth": "Og=="}}, "credHelpers": {"gcr.io": "gcloud"}, "credsStore": "desktop"}, indent=1))
put('docker_config', 'helpers.json', '{"credHelpers":{"registry.example:5000":"pass","docker.io":"osxkeychain"}}')

# --- index_page
put('index_page', 'simple.html', """<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"></head><body>
<a href="../../packages/demo-1.0-py3-none-any.whl#sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae">demo-1.0-py3-none-any.whl</a><br/>
<a href="https://files.example/demo-1.1.tar.gz#md5=0a1b" data-yanked="bad build">demo-1.1.tar.gz</a>
<A HREF='demo-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl'>x</A>
</body></html>
""")
put('index_page', 'simple.json', json.dumps({"meta": {"api-version": "1.1"}, "name": "demo", "versions": ["1.0", "1.1"],
   "files": [{"filename": "demo-1.0-py3-none-any.whl", "url": "https://files.example/demo-1.0-py3-none-any.whl",
     "hashes": {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}, "requires-python": ">=3.8",
     "core-metadata": {"sha256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"}, "size": 1234, "upload-time": "2024-01-01T00:00:00Z"},
    {"filename": "demo-1.1.tar.gz", "url": "../demo-1.1.tar.gz", "hashes": {}, "yanked": "reason"}]}))
put('index_page', 'METADATA', """Metadata-Version: 2.3
Name: demo
Version: 1.0
Requires-Python: >=3.8
License-Expression: MIT OR Apache-2.0
Requires-Dist: requests (>=2.0)
Requires-Dist: numpy>=1.21; python_version >= "3.9" and extra == 'fast'
Provides-Extra: fast
Classifier: License :: OSI Approved :: MIT License

A description body.
""")

# --- manifest
put('manifest', 'manifest.json', json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "a"*64, "size": 1470},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + "b"*64, "size": 29123456,
    "annotations": {"org.opencontainers.image.title": "base"}},
    {"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": "sha256:" + "c"*64, "size": 1}],
  "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "d"*64, "size": 7},
  "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}}, indent=1))
put('manifest', 'index.json', json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "e"*64, "size": 528,
    "platform": {"architecture": "amd64", "os": "linux"}, "annotations": {"org.opencontainers.image.ref.name": "latest"}},
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + "f"*64, "size": 528, "artifactType": "application/spdx+json",
    "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}))
put('manifest', 'config.json', json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
  "config": {"User": "1000", "Env": ["PATH=/usr/bin", "LANG=C.UTF-8"], "Entrypoint": ["python3"], "Cmd": ["app.py"],
     "WorkingDir": "/app", "ExposedPorts": {"8080/tcp": {}}, "Labels": {"a": "b"}},
  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "1"*64, "sha256:" + "2"*64]},
  "history": [{"created_by": "mlpack", "empty_layer": True}, {"comment": "x"}]}))
put('manifest', 'docker-v2.json', json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
  "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:" + "3"*64, "size": 10},
  "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "digest": "sha256:" + "4"*64, "size": 5}]}))

# --- project_config
put('project_config', 'mlpack.yaml', """# every kind of value
name: demo-model
base: debian:bookworm
python: "3.11"
cuda: "12.1"
r: "4.3"
cran:
  - https://packagemanager.posit.co/cran/__linux__/bookworm/2024-01-15
  - https://cloud.r-project.org
layers: 40
sbom: [spdx, cyclonedx]
entrypoint: ["python", "serve.py"]
env:
  OMP_NUM_THREADS: "1"
  MODEL: 'a "quoted" value'
ports: [8080]
apt:
  sources:
    - deb http://deb.debian.org/debian bookworm main
labels: {team: ml}
""")
put('project_config', 'flow.yaml', "python: 3.12.1\ncuda: auto\nbase: !!str ghcr.io/org/base:1@sha256:" + "a"*64 + "\nentrypoint: >\n  python -m app\n  --port 1\n")

# --- pyproject
put('pyproject', 'pyproject.toml', """[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "demo-model"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [
  "numpy>=1.26,<2",
  "torch==2.3.1+cu121 ; platform_machine == 'x86_64'",
  'requests[socks] @ https://example.org/requests-2.31.0-py3-none-any.whl',
]
dynamic = []

[project.optional-dependencies]
test = ["pytest>=8", "demo-model[gpu]"]
gpu = ["cupy-cuda12x"]

[project.scripts]
serve = "demo_model.cli:main"

[dependency-groups]
dev = ["ruff", {include-group = "lint"}]
lint = ["mypy==1.*"]

[tool.uv]
index-url = "https://pypi.org/simple"
""")
put('pyproject', 'poetry.toml', """[tool.poetry]
name = "x"
version = "1"
[tool.poetry.dependencies]
python = "^3.11"
pandas = {version = "^2.1", extras = ["excel"]}
[project]
name = "x"
dynamic = ["version", "dependencies"]
""")

# --- python_lock: first byte selects 0 uv.lock, 1 poetry.lock, 2 Pipfile.lock, 3 pylock.toml; +4 extras, +8 groups
put('python_lock', 'uv.lock', b'\x0c' + b"""version = 1
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "numpy" }, { name = "colorama", marker = "sys_platform == 'win32'" }]

[package.optional-dependencies]
test = [{ name = "pytest" }]

[package.dev-dependencies]
dev = [{ name = "ruff" }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/numpy-1.26.4.tar.gz", hash = "sha256:2a02aba9ed12e4ac4eb3ea9421c420301a0c6460d9830d74a9df87efa4912010", size = 15786129 }
wheels = [
    { url = "https://files.example/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hash = "sha256:666dbfb6ec68962c033a450943ded891bed2d54e6755e35e5835d63f4f6931d5", size = 18272035 },
]
""")
put('python_lock', 'poetry.lock', b'\x05' + b"""[[package]]
name = "requests"
version = "2.31.0"
description = "HTTP"
optional = false
python-versions = ">=3.7"
files = [
    {file = "requests-2.31.0-py3-none-any.whl", hash = "sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f"},
]

[package.dependencies]
idna = ">=2.5,<4"
urllib3 = {version = ">=1.21.1,<3", markers = "python_version >= \\"3.7\\""}

[package.extras]
socks = ["PySocks (>=1.5.6,!=1.5.7)"]

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "abc"
""")
put('python_lock', 'Pipfile.lock', b'\x0a' + json.dumps({"_meta": {"hash": {"sha256": "0"*64}, "pipfile-spec": 6, "requires": {"python_version": "3.11"},
   "sources": [{"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}]},
   "default": {"six": {"hashes": ["sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"], "index": "pypi", "version": "==1.16.0"},
     "local": {"editable": True, "path": "."}, "gitdep": {"git": "https://github.com/org/gitdep.git", "ref": "abc"}},
   "develop": {"pytest": {"version": "==8.0.0", "markers": "python_version >= '3.8'"}}}, indent=1).encode())
put('python_lock', 'pylock.toml', b'\x03' + b"""lock-version = "1.0"
created-by = "fuzz-seed"
requires-python = ">=3.11"
environments = ["sys_platform == 'linux'"]
extras = ["gpu"]
dependency-groups = ["dev"]
default-groups = ["dev"]

[[packages]]
name = "attrs"
version = "23.2.0"
marker = "'dev' in dependency_groups"
index = "https://pypi.org/simple"

[[packages.wheels]]
name = "attrs-23.2.0-py3-none-any.whl"
url = "https://files.example/attrs-23.2.0-py3-none-any.whl"
size = 60752
hashes = { sha256 = "99b87a485a5820b23b879f04c2305b44b951b502fd64be915879d77a7e8fc6f1" }

[[packages]]
name = "cupy"
version = "13.0.0"
marker = "'gpu' in extras"
[packages.sdist]
url = "https://files.example/cupy-13.0.0.tar.gz"
hashes = { sha256 = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" }
""")

# --- reference
for i, t in enumerate(["docker.io/library/python:3.11-slim", "ghcr.io/org/model@sha256:" + "a"*64, "localhost:5000/a/b/c:tag@sha256:" + "b"*64,
        "oci:out/image:latest", "oci-archive:/tmp/x.tar:tag", "docker-archive:img.tar", "docker://registry.example:443/ns/repo", "[::1]:5000/x", "ubuntu"]):
    put('reference', f'ref{i}', t)

# --- renv_lock
put('renv_lock', 'renv.lock', json.dumps({"R": {"Version": "4.3.2", "Repositories": [{"Name": "CRAN", "URL": "https://packagemanager.posit.co/cran/latest"}]},
   "Packages": {"jsonlite": {"Package": "jsonlite", "Version": "1.8.8", "Source": "Repository", "Repository": "CRAN", "Hash": "e1b9c55281c5adc4dd113652d9e26768",
     "Requirements": ["methods"]}, "cli": {"Package": "cli", "Version": "3.6.2", "Source": "GitHub", "RemoteType": "github", "RemoteUsername": "r-lib",
     "RemoteRepo": "cli", "RemoteSha": "abc"}}}, indent=2))
put('renv_lock', 'install.R', """# packages for the app
install.packages(c("data.table", 'ggplot2'), repos = "https://cloud.r-project.org")
install.packages("jsonlite")
remotes::install_version("shiny", "1.8.0")
""")
put('renv_lock', 'DESCRIPTION', "Package: app\nVersion: 1.0\nDepends: R (>= 4.2)\nImports: dplyr (>= 1.1), stats\nLinkingTo: Rcpp\n")
put('renv_lock', 'runtime.txt', "r-4.3-2024-01-15\n")

# --- requirement
for i, t in enumerate(["numpy>=1.21,<2", "requests[socks,security] (>=2.0) ; python_version >= '3.8' and extra == \"test\"",
        "torch @ https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp311-cp311-linux_x86_64.whl", "name===arbitrary",
        "pkg~=1.4.2; os_name != 'nt' or (platform_machine in 'x86_64 aarch64' and implementation_name == \"cpython\")",
        "python_full_version < '3.12.1'", "a!=1.0.*,>=0.9.post1.dev2+local.1"]):
    put('requirement', f'req{i}', t)

# --- requirements_file: NUL splits requirements.txt, constraints.txt, sub/more.txt, sub/deeper/c.txt
put('requirements_file', 'tree', "\x00".join([
"""# main file
--index-url https://pypi.org/simple
--extra-index-url https://user:secret@mirror.example/simple
-r sub/more.txt
-c constraints.txt
numpy>=1.26 --hash=sha256:666dbfb6ec68962c033a450943ded891bed2d54e6755e35e5835d63f4f6931d5 \\
    --hash=sha256:2a02aba9ed12e4ac4eb3ea9421c420301a0c6460d9830d74a9df87efa4912010
-e ./pkg
./dist/demo-1.0-py3-none-any.whl
git+https://github.com/org/repo.git@v1#egg=repo
https://example.org/x-1.0.tar.gz#sha256=2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
--find-links ./dist
--pre
""",
"numpy<2\nurllib3==2.*\n",
"-r deeper/c.txt\npandas[excel]==2.1.4 ; python_version >= \"3.9\"\n",
"--only-binary :all:\nsix\n"]))
put('requirements_file', 'bom-utf16', "\ufeffrequests==2.31.0\r\n-r sub/more.txt\r\n".encode('utf-16-le'))

# --- www_authenticate: first line header, rest token answer
put('www_authenticate', 'bearer', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"\n'
    + json.dumps({"token": "abc.def.ghi", "access_token": "abc.def.ghi", "expires_in": 300, "issued_at": "2024-01-01T00:00:00Z"}))
put('www_authenticate', 'basic', 'Basic realm="Registry Realm", Bearer realm=https://ghcr.io/token,service=ghcr.io,scope="repository:a/b:pull,push"\n{"access_token":"x"}')
put('www_authenticate', 'escaped', 'bearer REALM="https://q.example/v2/auth\\"x\\"" , error="invalid_token", error_description="expired"\n{"token":""}')

# --- tar: small archives in several codecs, made here from our own bytes
def mk_tar(fmt):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode='w', format=fmt) as t:
        def add(name, data=b'', **kw):
            ti = tarfile.TarInfo(name); ti.mtime = 0
            for k, v in kw.items(): setattr(ti, k, v)
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
        add('usr/', type=tarfile.DIRTYPE, mode=0o755)
        add('usr/bin/tool', b'#!/bin/sh\necho hi\n', mode=0o4755)
        add('usr/lib/libx.so.1', b'\x7fELF' + b'\0' * 60)
        add('usr/lib/libx.so', type=tarfile.SYMTYPE, linkname='libx.so.1')
        add('usr/lib/hard', type=tarfile.LNKTYPE, linkname='usr/lib/libx.so.1')
        add('tmp/', type=tarfile.DIRTYPE, mode=0o1777)
        add('a/' + 'long-name-' * (12 if fmt != tarfile.USTAR_FORMAT else 5) + 'end.txt', b'x' * 700)
    return b.getvalue()
put('tar', 'gnu.tar', mk_tar(tarfile.GNU_FORMAT))
put('tar', 'pax.tar.gz', gzip.compress(mk_tar(tarfile.PAX_FORMAT), mtime=0))
put('tar', 'ustar.tar.xz', __import__('lzma').compress(mk_tar(tarfile.USTAR_FORMAT)))
put('tar', 'pax.tar.bz2', __import__('bz2').compress(mk_tar(tarfile.PAX_FORMAT)))

# --- zip: a small wheel, stored and deflated members
def mk_zip(comp):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', compression=comp) as z:
        def add(n, d):
            zi = zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0)); zi.compress_type = comp; zi.external_attr = 0o644 << 16
            z.writestr(zi, d)
        add('demo/__init__.py', 'print("demo")\n' * 20)
        add('demo-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n')
        add('demo-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n')
        add('demo-1.0.data/scripts/demo', '#!python\nimport demo\n')
        add('demo-1.0.dist-info/RECORD', 'demo/__init__.py,,\n')
        z.comment = b'seed'
    return b.getvalue()
put('zip', 'deflated.whl', mk_zip(zipfile.ZIP_DEFLATED))
put('zip', 'stored.whl', mk_zip(zipfile.ZIP_STORED))

# --- elf: the target binary itself is added by CMake; a tiny hand-made ELF64 with a dynamic section here
put('elf', 'empty', b'\x7fELF\x02\x01\x01' + b'\0' * 57)
