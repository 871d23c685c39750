"""The wheel carries everything the commands read at run time: the labelling config and the default target."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_the_label_config_and_the_default_target(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("annotate-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"annotate/label_config/quotes.xml", "annotate/stance/targets/s400.yaml"} <= names
    # one file, not two copies: the repository's label_config/quotes.xml is the packaged one
    assert (ROOT / "label_config" / "quotes.xml").resolve() == (ROOT / "annotate" / "label_config" / "quotes.xml")
