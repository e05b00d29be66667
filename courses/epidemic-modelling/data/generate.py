"""Generate the synthetic outbreak of *Modelling Epidemics for Public Health*.

The outbreak is invented: a stochastic (chain-binomial) SIR epidemic in a town of
``POPULATION`` people, of whom a fraction ``REPORTED`` of new infections is reported
each day.  NumPy's PCG64 generator with the fixed seed ``SEED`` makes the file
reproducible byte for byte::

    python data/generate.py            # writes data/outbreak.csv

Columns of ``data/outbreak.csv``: ``day`` (0, 1, ...), ``reported_cases`` (new cases
reported that day) and ``true_infections`` (new infections that day, which a real
surveillance system never sees; kept so that lessons can discuss under-reporting).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 1927  # the year Kermack and McKendrick published the SIR model
POPULATION = 5000
INITIAL_INFECTED = 5
BETA = 0.3  # transmission rate per day
GAMMA = 0.1  # recovery rate per day (mean infectious period 10 days)
REPORTED = 0.4  # fraction of new infections that is reported
DAYS = 150


def outbreak(rng: np.random.Generator) -> pd.DataFrame:
    """One realisation of a chain-binomial SIR epidemic, one row per day."""
    s, i = POPULATION - INITIAL_INFECTED, INITIAL_INFECTED
    rows = []
    for day in range(DAYS):
        infection_probability = 1.0 - np.exp(-BETA * i / POPULATION)
        new_infections = int(rng.binomial(s, infection_probability))
        recoveries = int(rng.binomial(i, 1.0 - np.exp(-GAMMA)))
        reported = int(rng.binomial(new_infections, REPORTED))
        rows.append({"day": day, "reported_cases": reported, "true_infections": new_infections})
        s -= new_infections
        i += new_infections - recoveries
    return pd.DataFrame(rows)


def write_all(course_dir: Path) -> list[Path]:
    """Write every data set below ``course_dir``."""
    rng = np.random.default_rng(SEED)
    path = course_dir / "data" / "outbreak.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    outbreak(rng).to_csv(path, index=False, lineterminator="\n")
    return [path]


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    for path in write_all(target):
        print(path)
