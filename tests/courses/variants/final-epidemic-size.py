"""Alternative solutions and plausible mistakes for the final-size assignment."""

HERD = "herd-immunity-threshold"
SIZE = "final-size"
OVER = "overshoot"
VACC = "final-size-vaccinated"

CORRECT = {
    "ints and numpy floats, no float() anywhere": {
        HERD: (
            "def herd_immunity_threshold(beta, gamma):\n"
            "    r0 = beta / gamma\n    return 1 - 1 / r0 if r0 > 1 else 0"
        ),
        SIZE: (
            "def final_size(r0, tolerance=1e-10):\n"
            "    if r0 <= 1:\n        return 0\n"
            "    low, high = np.float64(1 - 1 / r0), np.float64(1)\n"
            "    while high - low > tolerance:\n"
            "        middle = (low + high) / 2\n"
            "        if middle - 1 + np.exp(-r0 * middle) < 0:\n            low = middle\n"
            "        else:\n            high = middle\n"
            "    return (low + high) / 2"
        ),
        OVER: "def overshoot(r0):\n    if r0 <= 1:\n        return 0\n    return final_size(r0) - (1 - 1 / r0)",
        VACC: "def final_size_vaccinated(r0, coverage):\n    return (1 - coverage) * final_size(r0 * (1 - coverage))",
    },
    "a counted for-loop of halvings and a sign product": {
        SIZE: (
            "import math\n\n\n"
            "def final_size(r0, tolerance=1e-10):\n"
            "    if r0 <= 1:\n        return 0.0\n"
            "    f = lambda z: z - 1 + math.exp(-r0 * z)\n"
            "    low, high = 1 - 1 / r0, 1.0\n"
            "    for _ in range(math.ceil(math.log2((high - low) / tolerance))):\n"
            "        middle = (low + high) / 2\n"
            "        if f(low) * f(middle) <= 0:\n            high = middle\n"
            "        else:\n            low = middle\n"
            "    return (low + high) / 2"
        ),
    },
    "recursive bisection; overshoot from the learner's own threshold": {
        HERD: "def herd_immunity_threshold(beta, gamma):\n    return max(0.0, 1.0 - gamma / beta)",
        SIZE: (
            "def final_size(r0, tolerance=1e-10):\n"
            "    if r0 <= 1:\n        return 0.0\n"
            "    def search(low, high):\n"
            "        if high - low <= tolerance:\n            return (low + high) / 2\n"
            "        middle = (low + high) / 2\n"
            "        if middle - 1 + np.exp(-r0 * middle) < 0:\n            return search(middle, high)\n"
            "        return search(low, middle)\n"
            "    return search(1 - 1 / r0, 1.0)"
        ),
        OVER: "def overshoot(r0):\n    return max(0.0, final_size(r0) - herd_immunity_threshold(r0, 1.0))",
    },
    "vaccinated size by its own bisection, without final_size": {
        VACC: (
            "def final_size_vaccinated(r0, coverage):\n"
            "    p = 1.0 - coverage\n"
            "    if r0 * p <= 1:\n        return 0.0\n"
            "    low, high = p * (1 - 1 / (r0 * p)), p\n"
            "    while high - low > 1e-12:\n"
            "        z = (low + high) / 2\n"
            "        if z - p * (1 - np.exp(-r0 * z)) < 0:\n            low = z\n"
            "        else:\n            high = z\n"
            "    return (low + high) / 2"
        ),
    },
    "early returns and threshold tests written out": {
        HERD: (
            "def herd_immunity_threshold(beta, gamma):\n"
            "    if beta <= gamma:\n        return 0.0\n"
            "    return (beta - gamma) / beta"
        ),
        SIZE: (
            "def final_size(r0, tolerance=1e-10):\n"
            "    if not r0 > 1:\n        return 0.0\n"
            "    interval = [1 - 1 / r0, 1.0]\n"
            "    while interval[1] - interval[0] >= tolerance:\n"
            "        middle = sum(interval) / 2\n"
            "        interval[int(middle - 1 + np.exp(-r0 * middle) >= 0)] = middle\n"
            "    return float(np.mean(interval))"
        ),
        VACC: (
            "def final_size_vaccinated(r0, coverage):\n"
            "    if coverage >= 1 - 1 / r0:\n        return 0.0\n"
            "    return float((1 - coverage) * final_size(r0 * (1 - coverage)))"
        ),
    },
    "numpy scalars throughout": {
        HERD: "def herd_immunity_threshold(beta, gamma):\n    return np.maximum(0.0, 1 - 1 / np.float64(beta / gamma))",
        OVER: "def overshoot(r0):\n    return np.float64(0.0) if r0 <= 1 else np.float64(final_size(r0) - 1 + 1 / r0)",
    },
}

MISTAKES = {
    "fixed-point iteration where bisection is asked for": (
        {
            SIZE: (
                "def final_size(r0, tolerance=1e-10):\n"
                "    if r0 <= 1:\n        return 0.0\n"
                "    z = 1.0\n"
                "    while True:\n"
                "        new = 1 - np.exp(-r0 * z)\n"
                "        if abs(new - z) < tolerance:\n            return float(new)\n"
                "        z = new"
            )
        },
        {"test-final-size-bisection"},
    ),
    "R0 computed as gamma / beta": (
        {HERD: "def herd_immunity_threshold(beta, gamma):\n    r0 = gamma / beta\n    return max(0.0, 1 - 1 / r0)"},
        {"test-herd-immunity-threshold"},
    ),
    "bisection that keeps the wrong half": (
        {
            SIZE: (
                "def final_size(r0, tolerance=1e-10):\n"
                "    if r0 <= 1:\n        return 0.0\n"
                "    low, high = 1 - 1 / r0, 1.0\n"
                "    while high - low > tolerance:\n"
                "        middle = (low + high) / 2\n"
                "        if middle - 1 + np.exp(-r0 * middle) < 0:\n            high = middle\n"
                "        else:\n            low = middle\n"
                "    return (low + high) / 2"
            )
        },
        {"test-final-size", "test-final-size-bisection"},
    ),
    "no special case for R0 <= 1 (bisection finds the root near zero)": (
        {
            SIZE: (
                "def final_size(r0, tolerance=1e-10):\n"
                "    low, high = 1 - 1 / r0, 1.0\n"
                "    while high - low > tolerance:\n"
                "        middle = (low + high) / 2\n"
                "        if middle - 1 + np.exp(-r0 * middle) < 0:\n            low = middle\n"
                "        else:\n            high = middle\n"
                "    return (low + high) / 2"
            )
        },
        {"test-final-size"},
    ),
    "overshoot without the R0 <= 1 case": (
        {OVER: "def overshoot(r0):\n    return final_size(r0) - (1 - 1 / r0)"},
        {"test-overshoot"},
    ),
    "vaccinated size as a share of the unvaccinated only": (
        {VACC: "def final_size_vaccinated(r0, coverage):\n    return final_size(r0 * (1 - coverage))"},
        {"test-final-size-vaccinated"},
    ),
    "vaccination scales the final size instead of R0": (
        {VACC: "def final_size_vaccinated(r0, coverage):\n    return (1 - coverage) * final_size(r0)"},
        {"test-final-size-vaccinated"},
    ),
}
