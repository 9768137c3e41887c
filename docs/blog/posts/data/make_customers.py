"""Write customers.csv, the messy table used by the post "Messy tabular data".

Run it from this folder with `python make_customers.py`. It is seeded, so it writes the same
file every time; the post reads the committed CSV, never this script.
"""

import numpy as np
import pandas as pd

rng = np.random.default_rng(14)
n = 400

plan = rng.choice(["basic", "standard", "premium"], size=n, p=[0.5, 0.35, 0.15])
region = rng.choice(["north", "south", "east", "west"], size=n, p=[0.3, 0.3, 0.25, 0.15])
payment = rng.choice(["card", "invoice", "direct debit"], size=n, p=[0.45, 0.2, 0.35])
age = rng.normal(42, 12, size=n).clip(18, 85).round()
tenure = rng.gamma(2.0, 12.0, size=n).clip(1, 120).round()
base = {"basic": 19.0, "standard": 35.0, "premium": 59.0}
monthly = np.array([base[p] for p in plan]) + rng.normal(0, 4, size=n)
calls = rng.poisson(1.2, size=n)

# Churn depends on short tenure, support calls, invoice payment and the basic plan.
logit = (
    0.2
    - 0.08 * tenure
    + 0.8 * calls
    + 1.4 * (payment == "invoice")
    + 0.7 * (plan == "basic")
    - 0.6 * (region == "west")
)
churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)

df = pd.DataFrame(
    {
        "age": age,
        "tenure_months": tenure,
        "monthly_charge": monthly.round(2),
        "support_calls": calls,
        "plan": plan,
        "region": region,
        "payment": payment,
        "churned": churned,
    }
)
# Real exports have holes: blank cells in three columns.
df.loc[rng.random(n) < 0.12, "age"] = np.nan
df.loc[rng.random(n) < 0.06, "tenure_months"] = np.nan
df.loc[rng.random(n) < 0.08, "region"] = np.nan
# A handful of rows carry a payment method that appears nowhere else.
df.loc[rng.choice(n, size=3, replace=False), "payment"] = "voucher"
df.insert(0, "customer_id", [f"C{i:04d}" for i in range(1, n + 1)])
df.to_csv("customers.csv", index=False)
