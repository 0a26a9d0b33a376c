"""`oracle status` reads the oracle's database and never creates one."""

from __future__ import annotations

from click.testing import CliRunner

from oracle.cli import main
from oracle.db import make_engine


def test_status_without_db_creates_nothing_and_says_what_to_give(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: no oracle database at oracle.db: give --db the URL `oracle run` uses"]
    assert list(tmp_path.iterdir()) == []


def test_a_bad_database_is_one_line(tmp_path):
    for url, words in [(f"sqlite:///{tmp_path}/nowhere/oracle.db", "no oracle database at"),
                       ("not a url", "Could not parse SQLAlchemy URL")]:
        result = CliRunner().invoke(main, ["status", "--db", url])
        assert result.exit_code == 1 and len(result.output.splitlines()) == 1 and words in result.output
    assert not (tmp_path / "nowhere").exists()


def test_status_of_an_existing_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'oracle.db'}"
    make_engine(url).dispose()
    result = CliRunner().invoke(main, ["status", "--db", url])
    assert result.exit_code == 0 and "tasks: none" in result.output
