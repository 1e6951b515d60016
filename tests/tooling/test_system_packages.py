"""scripts/system-packages.sh: nothing to do when all is there; without root it stops in one line."""

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "system-packages.sh"


def _path_with(tmp_path: Path, commands: list[str], uid: str) -> str:
    """A PATH holding only `commands` (links to the real ones) and an `id` that reports `uid`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in commands:
        real = shutil.which(name)
        if real:
            (bin_dir / name).symlink_to(real)
    fake_id = bin_dir / "id"
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    return str(bin_dir)


def test_nothing_missing_exits_zero_silently():
    done = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""


def test_without_root_one_line_names_the_packages_and_the_command(tmp_path):
    path = _path_with(tmp_path, ["sh", "grep", "ls", "dpkg-query", "apt-get", "pdftotext"], uid="1000")
    env = {**os.environ, "PATH": path}
    env.pop("DOITHOAI_SKIP_SYSTEM_PACKAGES", None)
    done = subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for package in ("chromium", "libreoffice-writer-nogui", "softhsm2", "default-jre-headless", "nodejs", "npm"):
        assert package in lines[0]
    assert "poppler-utils" not in lines[0]  # pdftotext is on this PATH
    assert "apt-get install -y --no-install-recommends chromium libreoffice-writer-nogui" in lines[0]
