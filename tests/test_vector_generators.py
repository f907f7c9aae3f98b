"""Our own vectors are byte-reproducible from the published test keys (issue 4, spec Part 11):
each generator, run from a scratch copy of ``tools/``, writes exactly the committed files.

The generators use only hashlib, ``cryptography`` and ``rfc8785``, never this library, so the
expected values in the vectors are independent of the code they test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GENERATORS = {  # generator -> the files it writes, under spec/vectors/
    "gen_merkle_vectors.py": ["audit/merkle.json"],
    "gen_note_vectors.py": [
        "audit/note-open.json",
        "audit/note-keys.json",
        "audit/checkpoints.json",
        "audit/cosignatures.json",
    ],
    "gen_record_vectors.py": ["audit/records.json"],
    "gen_forwarding_vectors.py": ["discovery/forwarding.json"],
    "gen_acs_vectors.py": ["discovery/acs.json"],
    "gen_filter_vectors.py": ["discovery/filters.json"],
    "gen_sync_vectors.py": ["discovery/sync.json"],
    "gen_task_vectors.py": ["interaction/tasks.json"],
    "gen_message_vectors.py": ["interaction/messages.json"],
}


@pytest.mark.parametrize("generator", sorted(GENERATORS))
def test_generator_reproduces_the_committed_vectors(generator: str, tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    for folder in ("audit", "discovery", "interaction"):
        (tmp_path / "spec" / "vectors" / folder).mkdir(parents=True)
    # public inputs some generators read (the ACS examples), copied unchanged
    shutil.copytree(
        REPO / "spec" / "vectors" / "external" / "acps",
        tmp_path / "spec" / "vectors" / "external" / "acps",
    )
    shutil.copy(REPO / "tools" / generator, tmp_path / "tools" / generator)
    subprocess.run(
        [sys.executable, str(tmp_path / "tools" / generator)],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in GENERATORS[generator]:
        made = (tmp_path / "spec" / "vectors" / name).read_bytes()
        committed = (REPO / "spec" / "vectors" / name).read_bytes()
        assert made == committed, f"{name} differs from what {generator} writes"
