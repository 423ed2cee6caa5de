#!/usr/bin/env python3
"""Regenerate ``efp_nodes/data/countries.csv`` (countries, grid carbon intensity, IANA time zone).

Rows
----
1. The sixteen countries of e-footprint 9.0.0's ``Countries``, written exactly as e-footprint gives
   them (intensity in g CO2eq/kWh and time zone). They are fixed in this script and never taken from
   another source.
2. Every other country of codecarbon's offline dataset
   ``codecarbon/data/private_infra/global_energy_mix.json`` that has a positive ``carbon_intensity``
   (g CO2eq/kWh). codecarbon's documentation (methodology page) gives Our World in Data's "carbon
   intensity of electricity generation" as the upstream source; each country's figure is for the
   ``year`` the JSON gives it (mostly 2022 or 2023), and the ``source`` column says which. Name: the
   dataset's own ``country_name``. Entries without a positive intensity are left out (in codecarbon
   3.3.2 only ``CAF``, Central African Republic, whose intensity is 0.0).

Time zone of an extra country (one per country, deterministic):
   the ISO 3166-1 alpha-3 code is mapped to alpha-2 with ``pycountry``; the zone is the FIRST zone listed
   for that alpha-2 code in the tz database's ``zone.tab`` (as shipped in the ``tzdata`` Python package;
   zone.tab orders a country's zones "to make some geographical sense, and to put the most populous
   zones first where that does not contradict geography"), except for the countries of
   ``CAPITAL_ZONE_OVERRIDES`` below, whose first-listed zone is not the zone of the capital: there the
   capital's zone is used (Australia → Australia/Sydney for Canberra, Brazil → America/Sao_Paulo for
   Brasília, Canada → America/Toronto for Ottawa, Russia → Europe/Moscow, Ukraine → Europe/Kyiv,
   Uzbekistan → Asia/Tashkent). Every zone written is checked to load with :class:`zoneinfo.ZoneInfo`.

Order: the sixteen e-footprint rows first (in e-footprint's order), then the others sorted by name.

Requirements (run with any Python >= 3.11, e.g. in a scratch venv; nothing is installed into efp's)::

    python3 -m venv /tmp/venv-countries
    /tmp/venv-countries/bin/pip install pycountry==26.2.16 tzdata==2026.6
    /tmp/venv-countries/bin/pip download --no-deps -d /tmp/cc codecarbon==3.3.2
    /tmp/venv-countries/bin/python scripts/generate_countries.py \\
        --codecarbon-wheel /tmp/cc/codecarbon-3.3.2-py3-none-any.whl

Without ``--codecarbon-wheel`` the JSON is read from an installed ``codecarbon`` distribution (located
through its metadata, the package is not imported). ``--check`` compares instead of writing and exits
with status 1 if the file would change.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import importlib.resources
import io
import json
import re
import sys
import zipfile
import zoneinfo
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from efp_nodes.country_data import normalize_key  # noqa: E402

OUTPUT = REPO_ROOT / "efp_nodes" / "data" / "countries.csv"
COLUMNS = ("name", "short_name", "average_carbon_intensity_g_per_kwh", "timezone", "source")
JSON_PATH_IN_PACKAGE = "codecarbon/data/private_infra/global_energy_mix.json"

EFOOTPRINT_SOURCE = "e-footprint 9.0.0 Countries (ADEME / electricitymaps figures as e-footprint cites them)"
# (name, ISO 3166-1 alpha-3, g CO2eq/kWh, IANA zone), in e-footprint 9.0.0's order.
EFOOTPRINT_COUNTRIES = (
    ("France", "FRA", 85, "Europe/Paris"),
    ("Germany", "DEU", 386, "Europe/Berlin"),
    ("Finland", "FIN", 132, "Europe/Helsinki"),
    ("Austria", "AUT", 158, "Europe/Vienna"),
    ("Poland", "POL", 635, "Europe/Warsaw"),
    ("Norway", "NOR", 26, "Europe/Oslo"),
    ("Hungary", "HUN", 223, "Europe/Budapest"),
    ("United Kingdom", "GBR", 268, "Europe/London"),
    ("Belgium", "BEL", 165, "Europe/Brussels"),
    ("Italy", "ITA", 371, "Europe/Rome"),
    ("Romania", "ROU", 264, "Europe/Bucharest"),
    ("Malaysia", "MYS", 549, "Asia/Kuala_Lumpur"),
    ("Morocco", "MAR", 610, "Africa/Casablanca"),
    ("Tunisia", "TUN", 468, "Africa/Tunis"),
    ("Algeria", "DZA", 488, "Africa/Algiers"),
    ("Senegal", "SEN", 503, "Africa/Dakar"),
)

# alpha-3 -> zone of the capital, where zone.tab's first zone for the country is elsewhere.
CAPITAL_ZONE_OVERRIDES = {
    "AUS": "Australia/Sydney",
    "BRA": "America/Sao_Paulo",
    "CAN": "America/Toronto",
    "RUS": "Europe/Moscow",
    "UKR": "Europe/Kyiv",
    "UZB": "Asia/Tashkent",
}

UPSTREAM = "upstream: Our World in Data, carbon intensity of electricity generation"


def read_codecarbon(wheel: Path | None) -> tuple[dict, str]:
    """The parsed global_energy_mix.json and codecarbon's version."""
    if wheel is not None:
        match = re.match(r"codecarbon-([^-]+)-", wheel.name)
        if not match:
            raise SystemExit(f"{wheel}: not a codecarbon wheel name")
        with zipfile.ZipFile(wheel) as archive:
            return json.loads(archive.read(JSON_PATH_IN_PACKAGE)), match.group(1)
    try:
        dist = importlib.metadata.distribution("codecarbon")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit("codecarbon is not installed: pass --codecarbon-wheel PATH") from None
    path = Path(dist.locate_file(JSON_PATH_IN_PACKAGE))
    return json.loads(path.read_text(encoding="utf-8")), dist.version


def first_zones() -> tuple[dict[str, str], str]:
    """alpha-2 -> first zone listed in tzdata's zone.tab, and the IANA release it comes from."""
    import tzdata  # the Python package, for a fixed, versioned copy of zone.tab

    text = importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _coordinates, zone = line.split("\t")[:3]
        zones.setdefault(code, zone)
    return zones, tzdata.IANA_VERSION


def fmt(value: float) -> str:
    return repr(float(value))


def build_rows(energy_mix: dict, codecarbon_version: str) -> list[dict[str, str]]:
    import pycountry

    zones, iana_version = first_zones()
    rows = [
        {"name": name, "short_name": code, "average_carbon_intensity_g_per_kwh": fmt(intensity),
         "timezone": zone, "source": EFOOTPRINT_SOURCE}
        for name, code, intensity, zone in EFOOTPRINT_COUNTRIES
    ]
    fixed_codes = {code for _, code, _, _ in EFOOTPRINT_COUNTRIES}
    extras = []
    for code, entry in energy_mix.items():
        if code in fixed_codes:
            continue
        intensity = entry.get("carbon_intensity")
        if intensity is None or not intensity > 0:
            print(f"skipped {code} ({entry.get('country_name')}): carbon_intensity {intensity!r}", file=sys.stderr)
            continue
        country = pycountry.countries.get(alpha_3=code)
        if country is None:
            raise SystemExit(f"{code}: not an ISO 3166-1 alpha-3 code known to pycountry")
        zone = CAPITAL_ZONE_OVERRIDES.get(code) or zones.get(country.alpha_2)
        if zone is None:
            raise SystemExit(f"{code} ({country.alpha_2}): no zone in zone.tab")
        zone_rule = "capital's zone" if code in CAPITAL_ZONE_OVERRIDES else "first zone.tab zone"
        source = (f"codecarbon {codecarbon_version} {JSON_PATH_IN_PACKAGE} carbon_intensity, year "
                  f"{entry['year']} ({UPSTREAM}); zone: {zone_rule}, tz {iana_version}")
        extras.append({"name": entry["country_name"], "short_name": code,
                       "average_carbon_intensity_g_per_kwh": fmt(intensity), "timezone": zone, "source": source})
    extras.sort(key=lambda row: (normalize_key(row["name"]), row["short_name"]))
    rows.extend(extras)
    check(rows)
    return rows


def check(rows: list[dict[str, str]]) -> None:
    keys: dict[str, str] = {}
    for row in rows:
        zoneinfo.ZoneInfo(row["timezone"])  # raises if the zone is unknown here
        for key in {normalize_key(row["name"]), row["short_name"]}:
            if keys.setdefault(key, row["short_name"]) != row["short_name"]:
                raise SystemExit(f"lookup key {key!r} names both {keys[key]} and {row['short_name']}")


def render(rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codecarbon-wheel", type=Path, help="path to a downloaded codecarbon wheel")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing")
    args = parser.parse_args(argv)
    energy_mix, version = read_codecarbon(args.codecarbon_wheel)
    text = render(build_rows(energy_mix, version))
    if args.check:
        same = args.output.exists() and args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'up to date' if same else 'would change'}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({text.count(chr(10)) - 1} countries)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
