"""Pages run as a real `__main__` module: pickling, multiprocessing, dataclasses, typing,
inspect and the standard streams behave as in `python script.py`."""

from __future__ import annotations

from pathlib import Path

import pytest

from techpath.engine import Engine, Settings
from tests.engine_helpers import run_one

SCRIPT_LIKE = """
```python
import dataclasses, inspect, pickle, sys, typing

def square(x: int) -> int:
    return x * x

@dataclasses.dataclass
class Point:
    x: int
    y: "int" = 0

restored = pickle.loads(pickle.dumps(square))
print(restored(7), pickle.loads(pickle.dumps(Point(1, 2))))
print(typing.get_type_hints(Point), typing.get_type_hints(square))
print(inspect.getsource(square).splitlines()[0])
print(inspect.getsource(Point).splitlines()[1])
sys.stdout.buffer.write(b"bytes ok\\n")
print(sys.stdout.fileno(), sys.stderr.fileno(), sys.stdout.encoding, sys.stdout.isatty())
```

```python
import multiprocessing as mp
if __name__ == "__main__":
    for method in ("fork", "spawn"):
        with mp.get_context(method).Pool(2) as pool:
            print(method, pool.map(square, [1, 2, 3]))
```
"""


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["fork", "spawn"])
def test_post_defined_objects_behave_as_in_a_script(mode: str, tmp_path: Path) -> None:
    settings = Settings(jobs=1, mode=mode, preload=[], cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        _post, result = run_one(engine, tmp_path, SCRIPT_LIKE)
    assert result.ok, result.errors
    first = "".join(o.text for o in result.blocks[0].outputs if o.kind == "stream")
    assert "49 Point(x=1, y=2)" in first
    assert "{'x': <class 'int'>, 'y': <class 'int'>} {'x': <class 'int'>, 'return': <class 'int'>}" in first
    assert "def square(x: int) -> int:" in first and "class Point:" in first
    assert "bytes ok" in first and "1 2 utf-8 False" in first
    second = "".join(o.text for o in result.blocks[1].outputs)
    assert "fork [1, 4, 9]" in second and "spawn [1, 4, 9]" in second


@pytest.mark.slow
def test_joblib_and_a_model_holding_a_post_function(tmp_path: Path) -> None:
    body = """
```python
import joblib
import numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.linear_model import LinearRegression

def double(x):
    return 2 * x

print(joblib.Parallel(n_jobs=2)(joblib.delayed(double)(i) for i in range(4)))
model = make_pipeline(FunctionTransformer(double), LinearRegression())
X = np.arange(6.0).reshape(-1, 1)
model.fit(X, X.ravel())
joblib.dump(model, "model.joblib")
loaded = joblib.load("model.joblib")
new = np.array([[10.0]])
print(loaded.predict(new).round(6), loaded[0].func is double)
```
"""
    settings = Settings(jobs=1, cache_dir=tmp_path / "c", refresh=True)
    with Engine(settings) as engine:
        _post, result = run_one(engine, tmp_path, body)
    assert result.ok, result.errors
    assert "".join(o.text for o in result.blocks[0].outputs) == "[0, 2, 4, 6]\n[10.] True\n"
