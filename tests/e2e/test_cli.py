"""The ``xueji`` command as a user runs it: contracts of id check, name compare,
user create, db upgrade and demo load."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from tests.conftest import TEST_MASTER_KEY
from tests.e2e.conftest import XUEJI, cli_env, run_cli


def lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_id_check_article_example_is_a_checksum_error(tmp_path: Path) -> None:
    done = run_cli("id", "check", "G445222202508211234", "--json", var_dir=tmp_path)
    assert done.returncode == 1
    [result] = lines(done.stdout)
    assert result["input"] == "G445222202508211234"
    assert result["valid"] is False
    assert result["code"] == "ID_CHECKSUM"
    assert result["expected_check"] == "0"
    assert isinstance(result["message"], str) and "校验码" in result["message"]


def test_id_check_valid_numbers_exit_zero_with_all_facts(tmp_path: Path) -> None:
    done = run_cli(
        "id", "check", "G445222202508211230", "11010519491231002x", "--json", var_dir=tmp_path
    )
    assert done.returncode == 0, done.stderr
    first, second = lines(done.stdout)
    assert first == {
        "input": "G445222202508211230",
        "valid": True,
        "registry_no": "G445222202508211230",
        "resident_id": "445222202508211230",
        "birth_date": "2025-08-21",
        "gender": "1",
        "region_code": "445222",
        "region": "广东省揭阳市揭西县",
    }
    assert second["registry_no"] == "G11010519491231002X"
    assert second["gender"] == "2"


def test_id_check_one_invalid_among_many_exits_non_zero(tmp_path: Path) -> None:
    done = run_cli("id", "check", "11010519491231002X", "12345", "--json", var_dir=tmp_path)
    assert done.returncode == 1
    assert [r["valid"] for r in lines(done.stdout)] == [True, False]
    assert lines(done.stdout)[1]["code"] == "ID_LENGTH"


def test_id_check_human_output_is_chinese(tmp_path: Path) -> None:
    done = run_cli("id", "check", "G445222202508211234", var_dir=tmp_path)
    assert done.returncode == 1
    assert "ID_CHECKSUM" in done.stderr and "应为“0”" in done.stderr


def test_name_compare_contract(tmp_path: Path) -> None:
    done = run_cli(
        "name",
        "compare",
        "佛山市禅城区海口小学",
        "佛山市禅成区海口小学",
        "--json",
        var_dir=tmp_path,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) == {
        "equal": False,
        "differences": [{"position": 4, "expected": "城", "entered": "成", "kind": "homophone"}],
    }
    same = run_cli(
        "name",
        "compare",
        "佛山市禅城区海口小学",
        " 佛山市禅城区海口小学 ",
        "--json",
        var_dir=tmp_path,
    )
    assert same.returncode == 0
    assert json.loads(same.stdout) == {"equal": True, "differences": []}


def test_db_upgrade_demo_load_are_idempotent_and_user_create_works(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    again = run_cli("db", "upgrade", var_dir=tmp_path)
    assert again.returncode == 0 and "已是最新版本" in again.stdout
    first = run_cli("demo", "load", var_dir=tmp_path)
    assert first.returncode == 0 and "本次新建 25 项" in first.stdout
    second = run_cli("demo", "load", var_dir=tmp_path)
    assert second.returncode == 0 and "本次新建 0 项" in second.stdout
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    created = run_cli(
        "user",
        "create",
        "--role",
        "school_admin",
        "--username",
        "chancheng-admin",
        "--school",
        "1144060402",
        "--password-stdin",
        var_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert created.returncode == 0, created.stderr
    assert "chancheng-admin" in created.stdout
    duplicate = run_cli(
        "user",
        "create",
        "--role",
        "school_admin",
        "--username",
        "chancheng-admin",
        "--school",
        "1144060402",
        "--password-stdin",
        var_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert duplicate.returncode == 1 and "USERNAME_TAKEN" in duplicate.stderr


def test_user_create_refuses_bad_scope_and_needs_a_migrated_database(tmp_path: Path) -> None:
    not_migrated = run_cli(
        "user",
        "create",
        "--role",
        "platform_admin",
        "--username",
        "ops",
        "--password-stdin",
        var_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert not_migrated.returncode == 1 and "xueji db upgrade" in not_migrated.stderr
    run_cli("db", "upgrade", var_dir=tmp_path)
    bad = run_cli(
        "user",
        "create",
        "--role",
        "region_admin",
        "--username",
        "somewhere",
        "--password-stdin",
        var_dir=tmp_path,
        stdin="a long enough password\n",
    )
    assert bad.returncode == 1 and "SCOPE_INVALID" in bad.stderr


def test_audit_verify_names_the_first_altered_entry(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    intact = run_cli("audit", "verify", var_dir=tmp_path)
    assert intact.returncode == 0 and "链接无误" in intact.stdout
    with sqlite3.connect(tmp_path / "xueji.db") as connection:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    altered = run_cli("audit", "verify", var_dir=tmp_path)
    assert altered.returncode == 1
    assert "第 3 条" in altered.stderr


def test_an_anchor_kept_elsewhere_catches_entries_removed_at_the_end(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    taken = run_cli("audit", "anchor", var_dir=tmp_path)
    assert taken.returncode == 0
    anchor = json.loads(taken.stdout)
    assert set(anchor) == {"entries", "head"} and anchor["entries"] > 2
    kept = tmp_path / "anchors.jsonl"
    kept.write_text(taken.stdout, encoding="utf-8")
    assert run_cli("audit", "verify", "--anchor", str(kept), var_dir=tmp_path).returncode == 0
    # someone who can write the database drops the newest entry and moves the head back:
    # no key is needed for that, and the chain alone still verifies
    with sqlite3.connect(tmp_path / "xueji.db") as connection:
        connection.execute("DROP TRIGGER audit_log_no_delete")
        last = anchor["entries"]
        connection.execute("DELETE FROM audit_log WHERE id = ?", (last,))
        connection.execute(
            "UPDATE audit_head SET last_id = id_, last_hash = h FROM "
            "(SELECT id AS id_, entry_hash AS h FROM audit_log WHERE id = ?)",
            (last - 1,),
        )
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0
    caught = run_cli("audit", "verify", "--anchor", str(kept), var_dir=tmp_path)
    assert caught.returncode == 1
    assert f"锚点记录了 {last} 条" in caught.stderr
    refused = run_cli("audit", "verify", "--anchor", str(tmp_path / "xueji.db"), var_dir=tmp_path)
    assert refused.returncode != 0 and "ANCHOR_INVALID" in refused.stderr


def test_a_process_with_another_master_key_refuses_to_start(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", var_dir=tmp_path).returncode == 0
    assert run_cli("demo", "load", var_dir=tmp_path).returncode == 0
    other = cli_env(tmp_path, XUEJI_SECRET_KEY="another key of thirty-two chars!")
    for command in (("audit", "verify"), ("db", "upgrade"), ("serve", "--port", "1")):
        refused = subprocess.run(
            [str(XUEJI), *command], capture_output=True, text=True, env=other, timeout=60
        )
        assert refused.returncode != 0, command
        assert "KEY_MISMATCH" in refused.stderr and "主密钥与数据库不符" in refused.stderr
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0  # the right key


def test_db_upgrade_takes_a_database_of_the_release_before_key_rotation(tmp_path: Path) -> None:
    """Its key record has no rotation columns yet: the key check before the upgrade
    reads what is there."""
    from xueji.config import Settings
    from xueji.container import Container
    from xueji.db import migrate
    from xueji.db.crypto import Keyring, install_keyring

    built = Container.build(Settings(var_dir=tmp_path))  # the key file the CLI will read
    try:
        migrate.upgrade(built.engine, "3c8f1a7b5d24")
    finally:
        built.engine.dispose()
        install_keyring(Keyring(TEST_MASTER_KEY))  # the tests' own, for the tests after
    upgraded = run_cli("db", "upgrade", var_dir=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "数据库已迁移到" in upgraded.stdout
    assert run_cli("audit", "verify", var_dir=tmp_path).returncode == 0
