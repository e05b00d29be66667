"""Alternative solutions and plausible mistakes for the SIR Euler-solver assignment."""

RATES = "sir-derivatives"
STEP = "euler-step"
SIMULATE = "simulate-sir"
PEAK = "epidemic-peak"

CORRECT = {
    "numpy arrays instead of tuples": {
        RATES: (
            "def sir_derivatives(s, i, beta, gamma):\n"
            "    return np.array([-beta * s * i, beta * s * i - gamma * i, gamma * i])"
        ),
        STEP: (
            "def euler_step(s, i, r, beta, gamma, dt):\n"
            "    return np.array([s, i, r]) + dt * np.asarray(sir_derivatives(s, i, beta, gamma))"
        ),
    },
    "derivatives inlined in the step, separate arrays stacked at the end": {
        STEP: (
            "def euler_step(s, i, r, beta, gamma, dt):\n"
            "    new_infections = beta * s * i * dt\n"
            "    new_recoveries = gamma * i * dt\n"
            "    return (s - new_infections, i + new_infections - new_recoveries, r + new_recoveries)"
        ),
        SIMULATE: (
            "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
            "    n = round(days / dt)\n"
            "    s, i, r = [s0], [i0], [1 - s0 - i0]\n"
            "    for _ in range(n):\n"
            "        inf = beta * s[-1] * i[-1] * dt\n"
            "        rec = gamma * i[-1] * dt\n"
            "        s.append(s[-1] - inf)\n"
            "        i.append(i[-1] + inf - rec)\n"
            "        r.append(r[-1] + rec)\n"
            "    return np.column_stack([s, i, r])"
        ),
    },
    "a list of rows and a list-based peak search": {
        SIMULATE: (
            "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
            "    rows = [(s0, i0, 1.0 - s0 - i0)]\n"
            "    for _ in range(int(round(days / dt))):\n"
            "        rows.append(euler_step(*rows[-1], beta, gamma, dt))\n"
            "    return np.array(rows, dtype=float)"
        ),
        PEAK: (
            "def epidemic_peak(trajectory, dt):\n"
            "    infectious = list(trajectory[:, 1])\n"
            "    k = infectious.index(max(infectious))\n"
            "    return (k * dt, infectious[k])"
        ),
    },
    "numpy scalars returned unconverted": {
        RATES: (
            "def sir_derivatives(s, i, beta, gamma):\n"
            "    infections = np.float64(beta) * s * i\n"
            "    return -infections, infections - gamma * i, gamma * i"
        ),
        PEAK: (
            "def epidemic_peak(trajectory, dt):\n"
            "    return trajectory[:, 1].argmax() * dt, trajectory[:, 1].max()"
        ),
    },
    "preallocated zeros, 1-based loop, list results": {
        STEP: (
            "def euler_step(s, i, r, beta, gamma, dt):\n"
            "    rates = sir_derivatives(s, i, beta, gamma)\n"
            "    return [x + dt * rate for x, rate in zip((s, i, r), rates)]"
        ),
        SIMULATE: (
            "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
            "    steps = int(np.rint(days / dt))\n"
            "    out = np.zeros((steps + 1, 3))\n"
            "    out[0, :] = [s0, i0, 1 - s0 - i0]\n"
            "    for k in range(1, steps + 1):\n"
            "        out[k, :] = euler_step(out[k - 1, 0], out[k - 1, 1], out[k - 1, 2], beta, gamma, dt)\n"
            "    return out"
        ),
    },
    "peak by np.flatnonzero on the maximum": {
        PEAK: (
            "def epidemic_peak(trajectory, dt):\n"
            "    i = trajectory[:, 1]\n"
            "    k = np.flatnonzero(i == i.max())[0]\n"
            "    return (float(k) * dt, float(i[k]))"
        ),
    },
}

MISTAKES = {
    "the sign of dI/dt reversed": (
        {RATES: "def sir_derivatives(s, i, beta, gamma):\n"
                "    return (-beta * s * i, gamma * i - beta * s * i, gamma * i)"},
        {"test-sir-derivatives"},
    ),
    "dI/dt and dR/dt returned in the wrong order": (
        {RATES: "def sir_derivatives(s, i, beta, gamma):\n"
                "    return (-beta * s * i, gamma * i, beta * s * i - gamma * i)"},
        {"test-sir-derivatives"},
    ),
    "the step updates S first and uses the new S for I": (
        {
            STEP: (
                "def euler_step(s, i, r, beta, gamma, dt):\n"
                "    s = s - dt * beta * s * i\n"
                "    i = i + dt * (beta * s * i - gamma * i)\n"
                "    r = r + dt * gamma * i\n"
                "    return (s, i, r)"
            )
        },
        {"test-euler-step"},
    ),
    "R starts at 0 instead of 1 - s0 - i0": (
        {
            SIMULATE: (
                "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
                "    steps = round(days / dt)\n"
                "    trajectory = np.empty((steps + 1, 3))\n"
                "    trajectory[0] = (s0, i0, 0.0)\n"
                "    for k in range(steps):\n"
                "        trajectory[k + 1] = euler_step(*trajectory[k], beta, gamma, dt)\n"
                "    return trajectory"
            )
        },
        {"test-simulate-sir"},
    ),
    "int(days / dt) truncates the number of steps": (
        {
            SIMULATE: (
                "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
                "    steps = int(days / dt)\n"
                "    trajectory = np.empty((steps + 1, 3))\n"
                "    trajectory[0] = (s0, i0, 1 - s0 - i0)\n"
                "    for k in range(steps):\n"
                "        trajectory[k + 1] = euler_step(*trajectory[k], beta, gamma, dt)\n"
                "    return trajectory"
            )
        },
        {"test-simulate-sir"},
    ),
    "trajectory transposed (3 rows)": (
        {
            SIMULATE: (
                "def simulate_sir(s0, i0, beta, gamma, dt, days):\n"
                "    rows = [(s0, i0, 1 - s0 - i0)]\n"
                "    for _ in range(round(days / dt)):\n"
                "        rows.append(euler_step(*rows[-1], beta, gamma, dt))\n"
                "    return np.array(rows).T"
            )
        },
        {"test-simulate-sir"},
    ),
    "the peak's row number instead of its day": (
        {PEAK: "def epidemic_peak(trajectory, dt):\n"
               "    k = int(np.argmax(trajectory[:, 1]))\n    return (float(k), float(trajectory[k, 1]))"},
        {"test-epidemic-peak"},
    ),
    "the last of several equal maxima": (
        {
            PEAK: (
                "def epidemic_peak(trajectory, dt):\n"
                "    i = trajectory[:, 1]\n"
                "    k = int(np.flatnonzero(i == i.max())[-1])\n"
                "    return (k * dt, float(i[k]))"
            )
        },
        {"test-epidemic-peak"},
    ),
}
