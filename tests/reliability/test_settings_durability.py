"""settings.json durability: concurrent updates from tasks and from other processes lose nothing, and a process
killed in the middle of a write leaves the previous valid file."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lp_toolbelt import SecretEntry, Toolbelt, ToolbeltConfig
from lp_toolbelt.secrets_store import SettingsFile

from ._settings_worker import PADDING, version_doc_value

ROOT = Path(__file__).resolve().parents[2]
WORKER = "tests.reliability._settings_worker"


def _settings(path: Path, keys: list[str]) -> None:
    doc = {"secrets": [{"key": k, "value": "initial"} for k in keys], "whitelist": ["my.crm.example.com"]}
    path.write_text(json.dumps(doc), encoding="utf-8")


def _config(path: Path) -> ToolbeltConfig:
    return ToolbeltConfig(account_id="1", secrets_file=path, secrets=None)


async def test_200_concurrent_task_updates_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    keys = [f"task-{i}" for i in range(200)]
    _settings(path, keys)
    async with Toolbelt(_config(path)) as tb:
        secrets = tb.secret_client()
        stored = await asyncio.gather(*(secrets.update_secret(SecretEntry(key=k, value={"v": k})) for k in keys))
        assert [s.value for s in stored] == [{"v": k} for k in keys]
        for key in keys[:5]:
            assert (await secrets.read_secret(key, use_cache=False)).value == {"v": key}
    on_disk = SettingsFile(path).secrets()
    assert {k: on_disk[k] for k in keys} == {k: {"v": k} for k in keys}
    assert SettingsFile(path).whitelist() == ["my.crm.example.com"]  # untouched parts survive every rewrite


async def test_two_processes_and_tasks_updating_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    mine = [f"task-{i}" for i in range(100)]
    _settings(path, mine)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", WORKER, "updates", str(path), prefix, "100", cwd=ROOT, stderr=subprocess.PIPE
        )
        for prefix in ("proc-a", "proc-b")
    ]
    async with Toolbelt(_config(path)) as tb:
        secrets = tb.secret_client()
        await asyncio.gather(*(secrets.update_secret(SecretEntry(key=k, value={"v": k})) for k in mine))
    for worker in workers:
        _, err = await worker.communicate()
        assert worker.returncode == 0, err.decode()

    on_disk = SettingsFile(path).secrets()
    for prefix in ("proc-a", "proc-b"):
        assert all(on_disk.get(f"{prefix}-{i}") == {"writer": prefix, "i": i} for i in range(100)), prefix
    assert all(on_disk[k] == {"v": k} for k in mine)
    assert len(on_disk) == 300


def test_a_process_killed_mid_write_leaves_a_valid_version(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    _settings(path, ["other"])
    seen: set[int] = set()
    for delay in (0.05, 0.13, 0.31, 0.47):
        worker = subprocess.Popen(
            [sys.executable, "-m", WORKER, "loop", str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "started"
            time.sleep(delay)  # let it rewrite the file many times, then kill it wherever it is
        finally:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            assert worker.stdout is not None
            worker.stdout.close()
        assert worker.returncode == -signal.SIGKILL

        doc = json.loads(path.read_text(encoding="utf-8"))  # parses: never a half-written file
        secrets = {item["key"]: item["value"] for item in doc["secrets"]}
        version = secrets["version"]
        assert version == version_doc_value(version["n"])  # one complete version, padding intact
        assert len(version["padding"]) == len(PADDING)
        assert secrets["other"] == "initial"
        seen.add(version["n"])
        # The dead writer's lock died with it: the next update goes through.
        SettingsFile(path).set("other", "initial")
    assert max(seen) > 0  # the writer really was rewriting the file when it was killed
