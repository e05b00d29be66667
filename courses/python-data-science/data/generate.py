"""Generate the synthetic data sets of *Data Analysis with Python*.

Every number in these files is invented: no real facility or patient is described.
The generator uses NumPy's PCG64 generator with the fixed seed ``SEED``, so running it
again reproduces the committed CSV files byte for byte::

    python data/generate.py            # writes data/*.csv and the assignment copies

Files written (relative to the course directory):

* ``data/facilities.csv`` -- monthly outpatient visits reported by 40 health facilities
  over six months, with the defects of real routine data left in on purpose: district
  names typed inconsistently, missing reports, ``-1`` typed for "not reported", and
  rows entered twice.  Copied to ``source/clean-facility-data/``.
* ``data/clinic_visits.csv`` -- 400 patient visits to outpatient clinics (age, sex,
  waiting time, systolic blood pressure).  Copied to ``source/describe-clinic-visits/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240601
DISTRICTS = ["North", "South", "East", "West", "Central"]
MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
FACILITY_TYPES = {"hospital": (1400, 60, 120), "health centre": (600, 15, 20), "dispensary": (250, 4, 0)}


def _messy_district(name: str, rng: np.random.Generator) -> str:
    """Return the district name as a tired data-entry clerk might type it."""
    variant = rng.integers(0, 4)
    return [name.upper(), name.lower(), f" {name}", f"{name} "][variant]


def facilities(rng: np.random.Generator) -> pd.DataFrame:
    """Monthly outpatient visits per facility, with deliberate data-quality defects."""
    rows = []
    types = list(FACILITY_TYPES)
    for number in range(1, 41):
        facility_type = types[rng.choice(3, p=[0.15, 0.45, 0.40])]
        mean_visits, staff, beds = FACILITY_TYPES[facility_type]
        district = DISTRICTS[rng.integers(0, len(DISTRICTS))]
        staff = max(1, int(rng.poisson(staff)))
        size = rng.lognormal(0.0, 0.3)
        for month in MONTHS:
            visits = int(rng.poisson(mean_visits * size))
            rows.append(
                {
                    "facility_id": f"F{number:03d}",
                    "district": district,
                    "facility_type": facility_type,
                    "month": month,
                    "outpatient_visits": visits,
                    "staff": staff,
                    "beds": beds,
                }
            )
    frame = pd.DataFrame(rows)
    frame["outpatient_visits"] = frame["outpatient_visits"].astype("Int64")

    n = len(frame)
    messy = rng.choice(n, size=30, replace=False)
    for index in messy:
        frame.loc[index, "district"] = _messy_district(frame.loc[index, "district"], rng)
    missing = rng.choice(n, size=18, replace=False)
    frame.loc[missing[:12], "outpatient_visits"] = pd.NA
    frame.loc[missing[12:], "outpatient_visits"] = -1
    duplicated = frame.iloc[np.sort(rng.choice(n, size=8, replace=False))]
    frame = pd.concat([frame, duplicated], ignore_index=True)
    order = rng.permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


def clinic_visits(rng: np.random.Generator) -> pd.DataFrame:
    """Patient visits to outpatient clinics: waiting time and blood pressure."""
    n = 400
    typical_wait = {"North": 35, "South": 50, "East": 28, "West": 42, "Central": 60}
    district = rng.choice(DISTRICTS, size=n, p=[0.22, 0.18, 0.2, 0.15, 0.25])
    sex = rng.choice(["female", "male"], size=n, p=[0.56, 0.44])
    age = np.clip(rng.gamma(2.2, 16.0, size=n), 1, 92).round().astype(int)
    median_wait = np.array([typical_wait[d] for d in district])
    wait = np.round(rng.lognormal(np.log(median_wait), 0.5)).astype(int)
    systolic = 105 + 0.55 * age + 5 * (sex == "male") + rng.normal(0, 14, size=n)
    systolic = np.where(age < 12, 95 + rng.normal(0, 8, size=n), systolic)
    return pd.DataFrame(
        {
            "visit_id": [f"V{k:04d}" for k in range(1, n + 1)],
            "district": district,
            "sex": sex,
            "age": age,
            "wait_minutes": wait,
            "systolic_bp": np.round(systolic).astype(int),
        }
    )


def write_all(course_dir: Path) -> list[Path]:
    """Write every data set (and each assignment's copy) below ``course_dir``."""
    rng = np.random.default_rng(SEED)
    outputs = {
        "facilities.csv": (facilities(rng), ["source/clean-facility-data"]),
        "clinic_visits.csv": (clinic_visits(rng), ["source/describe-clinic-visits"]),
    }
    written = []
    for name, (frame, copies) in outputs.items():
        for folder in ["data", *copies]:
            path = course_dir / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(path, index=False, lineterminator="\n")
            written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    for path in write_all(target):
        print(path)
