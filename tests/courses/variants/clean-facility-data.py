"""Alternative solutions and plausible mistakes for the facility-data cleaning assignment."""

NAME = "standardise-district"
CLEAN = "clean-facilities"
WORK = "visits-per-staff"
TOTALS = "district-totals"
SHARE = "reporting-completeness"

CORRECT = {
    "word by word capitalisation, .loc assignment, ignore_index": {
        NAME: (
            "def standardise_district(name):\n"
            "    return \" \".join(word.capitalize() for word in name.split())"
        ),
        CLEAN: (
            "def clean_facilities(raw):\n"
            "    clean = raw.copy()\n"
            "    clean[\"district\"] = [standardise_district(d) for d in clean[\"district\"]]\n"
            "    clean[\"outpatient_visits\"] = clean[\"outpatient_visits\"].astype(float)\n"
            "    clean.loc[clean[\"outpatient_visits\"] < 0, \"outpatient_visits\"] = np.nan\n"
            "    return clean.drop_duplicates(ignore_index=True)"
        ),
    },
    "replace(-1, nan) and .str methods instead of the Task 1 function": {
        CLEAN: (
            "def clean_facilities(raw):\n"
            "    out = raw.copy()\n"
            "    out[\"district\"] = out[\"district\"].str.strip().str.title()\n"
            "    out[\"outpatient_visits\"] = out[\"outpatient_visits\"].replace(-1, np.nan).astype(\"float64\")\n"
            "    out = out.drop_duplicates()\n"
            "    out.index = range(len(out))\n"
            "    return out"
        ),
    },
    "div, a Series built by hand, named aggregation": {
        WORK: (
            "def visits_per_staff(clean):\n"
            "    values = clean[\"outpatient_visits\"].div(clean[\"staff\"])\n"
            "    return pd.Series(values.to_numpy(), index=clean.index, name=\"visits_per_staff\")"
        ),
        TOTALS: (
            "def district_totals(clean):\n"
            "    return clean.groupby(\"district\").agg(total=(\"outpatient_visits\", \"sum\"))[\"total\"]"
        ),
        SHARE: (
            "def reporting_completeness(clean):\n"
            "    by_district = clean.groupby(\"district\")[\"outpatient_visits\"]\n"
            "    return by_district.count() / by_district.size()"
        ),
    },
    "plain Python loops and dictionaries": {
        TOTALS: (
            "def district_totals(clean):\n"
            "    totals = {}\n"
            "    for district, visits in zip(clean[\"district\"], clean[\"outpatient_visits\"]):\n"
            "        if not pd.isna(visits):\n"
            "            totals[district] = totals.get(district, 0) + visits\n"
            "        else:\n"
            "            totals.setdefault(district, 0)\n"
            "    return pd.Series(totals).sort_index()"
        ),
        SHARE: (
            "def reporting_completeness(clean):\n"
            "    shares = {}\n"
            "    for district, rows in clean.groupby(\"district\"):\n"
            "        shares[district] = 1 - rows[\"outpatient_visits\"].isna().mean()\n"
            "    return pd.Series(shares, dtype=float).sort_index()"
        ),
    },
    "duplicates dropped first with a mask, to_numeric, mask()": {
        CLEAN: (
            "def clean_facilities(raw):\n"
            "    clean = raw[~raw.duplicated()].copy()\n"
            "    clean[\"district\"] = clean[\"district\"].map(standardise_district)\n"
            "    visits = pd.to_numeric(clean[\"outpatient_visits\"]).astype(float)\n"
            "    clean[\"outpatient_visits\"] = visits.mask(visits < 0)\n"
            "    return clean.drop_duplicates().reset_index(drop=True)"
        ),
    },
    "integer totals and a pivot table": {
        TOTALS: (
            "def district_totals(clean):\n"
            "    table = clean.pivot_table(index=\"district\", values=\"outpatient_visits\", aggfunc=\"sum\")\n"
            "    return table[\"outpatient_visits\"].astype(int)"
        ),
        WORK: (
            "def visits_per_staff(clean):\n"
            "    return (clean.outpatient_visits / clean.staff).rename(\"visits_per_staff\")"
        ),
    },
}

MISTAKES = {
    "the spaces are not stripped": (
        {NAME: "def standardise_district(name):\n    return name.title()"},
        {"test-standardise-district"},
    ),
    "capitalize() instead of title case": (
        {NAME: "def standardise_district(name):\n    return name.strip().capitalize()"},
        {"test-standardise-district"},
    ),
    "the index is not reset": (
        {
            CLEAN: (
                "def clean_facilities(raw):\n"
                "    clean = raw.copy()\n"
                "    clean[\"district\"] = clean[\"district\"].map(standardise_district)\n"
                "    visits = clean[\"outpatient_visits\"].astype(float)\n"
                "    clean[\"outpatient_visits\"] = visits.where(visits >= 0)\n"
                "    return clean.drop_duplicates()"
            )
        },
        {"test-clean-facilities-rows"},
    ),
    "the typed -1 replaced by 0 instead of a missing value": (
        {
            CLEAN: (
                "def clean_facilities(raw):\n"
                "    clean = raw.copy()\n"
                "    clean[\"district\"] = clean[\"district\"].map(standardise_district)\n"
                "    clean[\"outpatient_visits\"] = clean[\"outpatient_visits\"].clip(lower=0).astype(float)\n"
                "    return clean.drop_duplicates().reset_index(drop=True)"
            )
        },
        {"test-clean-facilities-visits"},
    ),
    "the raw data frame changed in place": (
        {
            CLEAN: (
                "def clean_facilities(raw):\n"
                "    raw[\"district\"] = raw[\"district\"].map(standardise_district)\n"
                "    visits = raw[\"outpatient_visits\"].astype(float)\n"
                "    raw[\"outpatient_visits\"] = visits.where(visits >= 0)\n"
                "    return raw.drop_duplicates().reset_index(drop=True)"
            )
        },
        {"test-clean-facilities-rows"},
    ),
    "the Series is not named": (
        {WORK: "def visits_per_staff(clean):\n    return clean[\"outpatient_visits\"] / clean[\"staff\"]"},
        {"test-visits-per-staff"},
    ),
    "count of reports instead of the sum of visits": (
        {TOTALS: "def district_totals(clean):\n    return clean.groupby(\"district\")[\"outpatient_visits\"].count()"},
        {"test-district-totals"},
    ),
    "reports divided by all rows of every district": (
        {
            SHARE: (
                "def reporting_completeness(clean):\n"
                "    reported = clean.groupby(\"district\")[\"outpatient_visits\"].count()\n"
                "    return reported / len(clean)"
            )
        },
        {"test-reporting-completeness"},
    ),
}
