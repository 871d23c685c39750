"""The memory habits of the long paths: the collector pause, and what the export path does not import."""

import gc
import subprocess
import sys

import pytest

from annotate.memory import collector_paused


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_pause_restores_the_collector_as_it_was(enabled):
    gc.enable() if enabled else gc.disable()
    try:
        with pytest.raises(ValueError), collector_paused():
            assert not gc.isenabled()
            raise ValueError  # an error inside the block still restores it
        assert gc.isenabled() is enabled
    finally:
        gc.enable()


def test_the_export_path_imports_neither_torch_nor_scikit_learn():
    """Exporting reads a target file and writes a dataset; torch and scikit-learn cost seconds to import."""
    probe = (
        "import sys, annotate.cli, annotate.dataset, annotate.studio\n"
        "from annotate.stance import load_target\n"
        "load_target()\n"
        "print(sorted(name for name in ('torch', 'sklearn') if name in sys.modules))\n"
        "from annotate.stance import StanceModel\n"
        "print('torch' in sys.modules)\n"
    )
    lines = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert lines == ["[]", "True"]
