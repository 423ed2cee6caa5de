"""Tests of the ecobenchmark job needs (efp_builders/ecobenchmark.py)."""

import csv
import hashlib
import io
import statistics
from importlib import resources

import pytest

from efp.errors import ValidationError
from efp_builders import ecobenchmark
from efp_builders.ecobenchmark import EcobenchmarkNeeds, job_needs, needs_from_csv_text

TECHNOLOGIES = ["go-pgx", "jvm-kotlin-spring", "node-express-sequelize", "php-symfony", "rust-actix-sqlx"]
USE_CASES = ["aggregation-code-side", "default", "mysql", "no-index", "no-pagination", "orm-loop"]


def _packaged_text():
    return resources.files("efp_builders").joinpath("data/ecobenchmark_results__raw.csv").read_text(encoding="utf-8")


def test_packaged_file_is_the_2022_06_28_campaign():
    runs = list(csv.DictReader(io.StringIO(_packaged_text())))
    assert len(runs) == 290
    assert {run["valid"] for run in runs} == {"True"}
    # sha256 of the copy shipped in e-footprint 9.0.0 (/work/shared/data/ecobenchmark/).
    data = resources.files("efp_builders").joinpath("data/ecobenchmark_results__raw.csv").read_bytes()
    assert hashlib.sha256(data).hexdigest() == "9df023d44dcb47495facc68bed4d4a76fc5468051851ccadebb649f80aa5365b"


def test_php_symfony_default_reproduces_efootprint9():
    needs = job_needs("php-symfony", "default")
    assert isinstance(needs, EcobenchmarkNeeds)
    assert needs.nb_runs == 10
    assert needs.compute_needed_cpu_core == pytest.approx(0.0755116772256729, rel=1e-12)
    assert needs.ram_needed_mb == pytest.approx(6.149749869070138, rel=1e-12)


def test_technologies_and_use_cases():
    assert ecobenchmark.technologies() == TECHNOLOGIES
    assert ecobenchmark.implementation_details() == USE_CASES


def test_pairs():
    pairs = ecobenchmark.valid_pairs()
    expected = [(t, u) for t in TECHNOLOGIES for u in USE_CASES if (t, u) != ("rust-actix-sqlx", "mysql")]
    assert pairs == expected
    assert len(pairs) == 29
    for pair in pairs:
        assert job_needs(*pair).nb_runs == 10
    assert "mysql" not in ecobenchmark.implementation_details_for("rust-actix-sqlx")
    assert ecobenchmark.implementation_details_for("php-symfony") == USE_CASES


def test_every_pair_matches_an_independent_recomputation():
    runs = list(csv.DictReader(io.StringIO(_packaged_text())))
    for technology, details in ecobenchmark.valid_pairs():
        selected = [r for r in runs if r["service"] == technology and r["use_case"] == details]
        cpu = statistics.fmean(float(r["application_cpu_avg"]) * 8 + float(r["database_cpu_avg"]) * 8
                               for r in selected)
        ram = statistics.fmean((float(r["application_ram_avg"]) + float(r["database_ram_avg"])) / 1e6
                               for r in selected)
        parallel = statistics.fmean(float(r["http_reqs"]) / 600 for r in selected)
        needs = job_needs(technology, details)
        assert needs.compute_needed_cpu_core == pytest.approx(cpu / parallel, rel=1e-12)
        assert needs.ram_needed_mb == pytest.approx(ram / parallel, rel=1e-12)
        assert 0 < needs.compute_needed_cpu_core < 10
        assert 0 < needs.ram_needed_mb < 1e4


def test_missing_pair_lists_valid_pairs():
    with pytest.raises(ValidationError) as info:
        job_needs("rust-actix-sqlx", "mysql")
    message = str(info.value)
    assert "'mysql'" in message and "rust-actix-sqlx" in message
    assert "php-symfony / default" in message
    assert "rust-actix-sqlx / orm-loop" in message


def test_unknown_technology_or_variant():
    with pytest.raises(ValidationError) as info:
        job_needs("cobol-cics", "default")
    assert "go-pgx" in str(info.value) and "'cobol-cics'" in str(info.value)
    with pytest.raises(ValidationError) as info:
        job_needs("php-symfony", "turbo")
    assert "orm-loop" in str(info.value)


def test_cached():
    assert job_needs("go-pgx", "default") is job_needs("go-pgx", "default")


HEADER = ("service,use_case,run_id,valid,vus,iterations,http_reqs,checks_passes,checks_fails,"
          "application_ram_avg,application_ram_median,application_cpu_avg,application_cpu_median,"
          "application_energy,database_ram_avg,database_ram_median,database_cpu_avg,database_cpu_median,"
          "database_energy\n")


def _run(service, use_case, valid, http_reqs, app_cpu, db_cpu, app_ram, db_ram):
    return (f"{service},{use_case},1,{valid},20,1,{http_reqs},1,0,{app_ram},0,{app_cpu},0,0,"
            f"{db_ram},0,{db_cpu},0,0\n")


def test_only_valid_runs_count():
    text = (HEADER
            + _run("a", "x", "True", 6000, 0.5, 0.25, 1e8, 2e8)
            + _run("a", "x", "True", 12000, 0.25, 0.25, 3e8, 2e8)
            + _run("a", "x", "False", 60, 1.0, 1.0, 9e9, 9e9)
            + _run("b", "y", "False", 600, 0.1, 0.1, 1e6, 1e6))
    table = needs_from_csv_text(text)
    assert list(table) == [("a", "x")]
    needs = table[("a", "x")]
    assert needs.nb_runs == 2
    # cpu cores: 6 and 4 (mean 5); ram MB: 300 and 500 (mean 400); parallel: 10 and 20 (mean 15).
    assert needs.compute_needed_cpu_core == pytest.approx(5 / 15, rel=1e-15)
    assert needs.ram_needed_mb == pytest.approx(400 / 15, rel=1e-15)
