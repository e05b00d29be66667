"""Alternative solutions and plausible mistakes for the clinic-visits description assignment."""

SUMMARY = "summary-by-district"
SHARE = "share-hypertensive"
BANDS = "age-band-counts"
PLOT = "plot-median-wait"


def _plot(body: str) -> str:
    return "def plot_median_wait(visits):\n" + body


CORRECT = {
    "describe() columns; sorted descending with invert_yaxis(); label 'Minutes'": {
        SUMMARY: (
            "def summary_by_district(visits):\n"
            "    table = visits.groupby(\"district\")[\"wait_minutes\"].describe()\n"
            "    return table[[\"count\", \"mean\", \"50%\", \"std\"]].rename(columns={\"50%\": \"median\"})"
        ),
        PLOT: _plot(
            "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values(ascending=False)\n"
            "    fig, ax = plt.subplots()\n"
            "    ax.barh(medians.index, medians.values)\n"
            "    ax.invert_yaxis()\n"
            "    ax.set_xlabel(\"Minutes\")\n"
            "    ax.set_title(\"Median wait by district\")\n"
            "    return ax"
        ),
    },
    "pandas plot.barh, numpy mean of a mask, np.select bands": {
        SHARE: (
            "def share_hypertensive(visits, threshold=140):\n"
            "    adults = visits.loc[visits.age >= 18, \"systolic_bp\"]\n"
            "    return np.mean(adults.to_numpy() >= threshold)"
        ),
        BANDS: (
            "def age_band_counts(visits):\n"
            "    labels = [\"0-4\", \"5-17\", \"18-39\", \"40-64\", \"65+\"]\n"
            "    age = visits[\"age\"]\n"
            "    band = np.select([age < 5, age < 18, age < 40, age < 65], labels[:4], default=\"65+\")\n"
            "    return pd.Series(band).value_counts().reindex(labels, fill_value=0)"
        ),
        PLOT: _plot(
            "    fig, ax = plt.subplots(figsize=(6, 3))\n"
            "    visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values().plot.barh(ax=ax)\n"
            "    ax.set_xlabel(\"Median waiting time (MINUTES)\")\n"
            "    ax.set_ylabel(\"\")\n"
            "    ax.set_title(\"Waits are longest in Central\")\n"
            "    return ax"
        ),
    },
    "numbered positions with set_yticks; integer-edge bins; a count of rows": {
        SHARE: (
            "def share_hypertensive(visits, threshold=140):\n"
            "    adults = visits[visits[\"age\"] >= 18]\n"
            "    return len(adults[adults[\"systolic_bp\"] >= threshold]) / len(adults)"
        ),
        BANDS: (
            "def age_band_counts(visits):\n"
            "    labels = [\"0-4\", \"5-17\", \"18-39\", \"40-64\", \"65+\"]\n"
            "    bands = pd.cut(visits[\"age\"], bins=[-1, 4, 17, 39, 64, 200], labels=labels)\n"
            "    return bands.value_counts().reindex(labels)"
        ),
        PLOT: _plot(
            "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values()\n"
            "    fig, ax = plt.subplots()\n"
            "    positions = list(range(len(medians)))\n"
            "    ax.barh(positions, medians.to_numpy(), color=\"#0072B2\")\n"
            "    ax.set_yticks(positions, [name.upper() for name in medians.index])\n"
            "    ax.set_xlabel(\"wait in minutes\")\n"
            "    ax.set_title(\"Median waiting time\")\n"
            "    return ax"
        ),
    },
    "pyplot interface and plt.gca(); separate aggregates joined": {
        SUMMARY: (
            "def summary_by_district(visits):\n"
            "    wait = visits.groupby(\"district\")[\"wait_minutes\"]\n"
            "    return pd.DataFrame({\"count\": wait.count(), \"mean\": wait.mean(),\n"
            "                         \"median\": wait.median(), \"std\": wait.std(ddof=1)})"
        ),
        PLOT: _plot(
            "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values()\n"
            "    plt.figure()\n"
            "    plt.barh(list(medians.index), list(medians))\n"
            "    plt.xlabel(\"Median wait, minutes\")\n"
            "    plt.title(\"Median wait per district\")\n"
            "    return plt.gca()"
        ),
    },
    "descending positions counted down, a dict of counts": {
        BANDS: (
            "def age_band_counts(visits):\n"
            "    counts = {\"0-4\": 0, \"5-17\": 0, \"18-39\": 0, \"40-64\": 0, \"65+\": 0}\n"
            "    for age in visits[\"age\"]:\n"
            "        if age < 5:\n            counts[\"0-4\"] += 1\n"
            "        elif age < 18:\n            counts[\"5-17\"] += 1\n"
            "        elif age < 40:\n            counts[\"18-39\"] += 1\n"
            "        elif age < 65:\n            counts[\"40-64\"] += 1\n"
            "        else:\n            counts[\"65+\"] += 1\n"
            "    return pd.Series(counts)"
        ),
        PLOT: _plot(
            "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values(ascending=False)\n"
            "    fig, ax = plt.subplots()\n"
            "    top = len(medians) - 1\n"
            "    ax.barh([top - k for k in range(len(medians))], medians.values, tick_label=list(medians.index))\n"
            "    ax.set(xlabel=\"median wait (minutes)\", title=\"Where patients wait longest\")\n"
            "    return ax"
        ),
    },
    "sample standard deviation by hand with numpy": {
        SUMMARY: (
            "def summary_by_district(visits):\n"
            "    rows = {}\n"
            "    for district, group in visits.groupby(\"district\"):\n"
            "        wait = group[\"wait_minutes\"].to_numpy()\n"
            "        rows[district] = [len(wait), wait.mean(), np.median(wait), np.std(wait, ddof=1)]\n"
            "    columns = [\"count\", \"mean\", \"median\", \"std\"]\n"
            "    return pd.DataFrame.from_dict(rows, orient=\"index\", columns=columns)"
        ),
    },
}

MISTAKES = {
    "population standard deviation (ddof=0)": (
        {
            SUMMARY: (
                "def summary_by_district(visits):\n"
                "    wait = visits.groupby(\"district\")[\"wait_minutes\"]\n"
                "    return wait.agg([\"count\", \"mean\", \"median\", lambda w: np.std(w)]).set_axis(\n"
                "        [\"count\", \"mean\", \"median\", \"std\"], axis=1)"
            )
        },
        {"test-summary-by-district"},
    ),
    "strictly above the threshold": (
        {
            SHARE: (
                "def share_hypertensive(visits, threshold=140):\n"
                "    adults = visits[visits[\"age\"] >= 18]\n"
                "    return float((adults[\"systolic_bp\"] > threshold).mean())"
            )
        },
        {"test-share-hypertensive"},
    ),
    "children counted too": (
        {
            SHARE: (
                "def share_hypertensive(visits, threshold=140):\n"
                "    return float((visits[\"systolic_bp\"] >= threshold).mean())"
            )
        },
        {"test-share-hypertensive"},
    ),
    "pd.cut with right-closed bins": (
        {
            BANDS: (
                "def age_band_counts(visits):\n"
                "    labels = [\"0-4\", \"5-17\", \"18-39\", \"40-64\", \"65+\"]\n"
                "    bands = pd.cut(visits[\"age\"], bins=[0, 5, 18, 40, 65, np.inf], labels=labels)\n"
                "    return bands.value_counts(sort=False)"
            )
        },
        {"test-age-band-counts"},
    ),
    "values sorted but labels left in alphabetical order": (
        {
            PLOT: _plot(
                "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median()\n"
                "    fig, ax = plt.subplots()\n"
                "    ax.barh(range(len(medians)), sorted(medians.values))\n"
                "    ax.set_yticks(range(len(medians)), medians.index)\n"
                "    ax.set_xlabel(\"median wait (minutes)\")\n"
                "    ax.set_title(\"Median wait\")\n"
                "    return ax"
            )
        },
        {"test-plot-median-wait-bars"},
    ),
    "longest bar at the bottom": (
        {
            PLOT: _plot(
                "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values(ascending=False)\n"
                "    fig, ax = plt.subplots()\n"
                "    ax.barh(medians.index, medians.values)\n"
                "    ax.set_xlabel(\"median wait (minutes)\")\n"
                "    ax.set_title(\"Median wait\")\n"
                "    return ax"
            )
        },
        {"test-plot-median-wait-bars"},
    ),
    "mean instead of median": (
        {
            PLOT: _plot(
                "    means = visits.groupby(\"district\")[\"wait_minutes\"].mean().sort_values()\n"
                "    fig, ax = plt.subplots()\n"
                "    ax.barh(means.index, means.values)\n"
                "    ax.set_xlabel(\"mean wait (minutes)\")\n"
                "    ax.set_title(\"Mean wait\")\n"
                "    return ax"
            )
        },
        {"test-plot-median-wait-bars"},
    ),
    "vertical bars": (
        {
            PLOT: _plot(
                "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values()\n"
                "    fig, ax = plt.subplots()\n"
                "    ax.bar(medians.index, medians.values)\n"
                "    ax.set_xlabel(\"district (minutes of median wait)\")\n"
                "    ax.set_title(\"Median wait\")\n"
                "    return ax"
            )
        },
        {"test-plot-median-wait-bars"},
    ),
    "no unit on the axis and no title": (
        {
            PLOT: _plot(
                "    medians = visits.groupby(\"district\")[\"wait_minutes\"].median().sort_values()\n"
                "    fig, ax = plt.subplots()\n"
                "    ax.barh(medians.index, medians.values)\n"
                "    ax.set_xlabel(\"median wait\")\n"
                "    return ax"
            )
        },
        {"test-plot-median-wait-labels"},
    ),
}
