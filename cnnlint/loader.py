"""Load a target (`file.py:factory`, `pkg.module:factory`, `model.keras`, `model.h5`) and a `--data` source.

Every failure is a UsageError with one line that says what to change.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cnnlint.data import Sample, load_folder, load_npz, sample_from
from cnnlint.errors import UsageError
from cnnlint.facts.extract import one_line
from cnnlint.rng import seeded

SAVED_SUFFIXES = (".keras", ".h5", ".hdf5")
FOREIGN_SUFFIXES = (".onnx", ".pt", ".pth", ".tflite", ".pkl")
ACCEPTED = "model.keras, model.h5 (a full model) or path/to/file.py:build_model"
FACTORY_HINT = "give a factory (path/to/file.py:build_model) that builds the model in code"
# Keras's notes on a fresh load, not problems: the optimizer state of a model saved before training, the
# metrics of a compiled HDF5 model (both are built by the first fit)
LOAD_NOISE = ("Skipping variable loading for optimizer", "Compiled the loaded model, but the compiled metrics")


@dataclass
class Loaded:
    spec: str
    model: object
    sample: Sample | None = None
    file: Path | None = None  # where the factory is defined (for locations in reports)
    line: int | None = None


def _split(spec: str, what: str) -> tuple[str, str]:
    module, sep, name = spec.rpartition(":")
    if not sep or not module or not name or "/" in name or "\\" in name:
        raise UsageError(f"{what} {spec!r} names no function: write it as path/to/file.py:build_model "
                         f"or package.module:build_model")
    return module, name


def import_module(ref: str, root: Path | None = None):
    """Import `path/to/file.py` (its folder goes on sys.path) or a dotted module name."""
    try:
        if ref.endswith(".py"):
            path = Path(ref) if Path(ref).is_absolute() or root is None else root / ref
            if not path.is_file():
                raise UsageError(f"file not found: {ref}")
            folder = str(path.resolve().parent)
            if folder not in sys.path:
                sys.path.insert(0, folder)
            name = f"_cnnlint_target_{path.stem}_{abs(hash(str(path.resolve())))}"
            spec = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
            return module
        folder = str(root) if root is not None else os.getcwd()  # as `python -m` puts the working directory
        if folder not in sys.path:
            sys.path.insert(0, folder)
        return importlib.import_module(ref)
    except UsageError:
        raise
    except ModuleNotFoundError as exc:
        if not ref.endswith(".py") and exc.name and ref.startswith(exc.name):
            raise UsageError(f"no module named {ref!r} (is it installed, or did you mean a path to a .py file?)") from None
        raise UsageError(f"cannot import {ref}: {one_line(exc)}") from None
    except BaseException as exc:  # noqa: BLE001 - a module that raises (or exits) while importing
        raise UsageError(f"cannot import {ref}: {one_line(exc)}") from None


def _function(spec: str, what: str, root: Path | None):
    ref, name = _split(spec, what)
    module = import_module(ref, root)
    fn = getattr(module, name, None)
    if fn is None:
        found = [n for n, v in vars(module).items() if inspect.isfunction(v) and v.__module__ == module.__name__]
        raise UsageError(f"{ref} has no function {name!r} (found: {', '.join(found) or 'none'})")
    if not callable(fn):
        raise UsageError(f"{ref}:{name} is a {type(fn).__name__}, not a function")
    return fn


class CollapsedModel(Exception):
    """The factory failed because Keras refused a zero or negative spatial size (reported as CNN201)."""

    def __init__(self, problem, file=None, line=None):
        super().__init__(problem.message)
        self.problem, self.file, self.line = problem, file, line


def _call(fn, spec: str, *, builds_model: bool = False):
    import keras

    from cnnlint.collapse import diagnose

    if builds_model:
        # auto layer names (conv2d, conv2d_1, ...) start afresh for every target, as in a fresh process:
        # per-layer ignores, baselines and SARIF fingerprints must not depend on what ran before
        keras.backend.clear_session()
    filtering = keras.config.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()  # keep the layer frames that show where a size hit zero
    try:
        with seeded(0 if builds_model else None):  # the same target, the same weights, the same findings;
            return fn()  # the caller's generators are given back
    except BaseException as exc:  # noqa: BLE001 - includes SystemExit from a script-style factory
        problem = diagnose(exc) if builds_model else None
        if problem is not None:
            raise CollapsedModel(problem) from None
        raise UsageError(f"{spec} raised {one_line(exc)}") from None
    finally:
        if filtering:
            keras.config.enable_traceback_filtering()


def _is_model(obj) -> bool:
    import keras

    return isinstance(obj, keras.Model)


def _path(spec: str, root: Path | None) -> Path:
    return Path(spec) if Path(spec).is_absolute() or root is None else root / spec


def _refuse_foreign(spec: str, root: Path | None) -> None:
    """A TensorFlow SavedModel, a frozen graph or another framework's file: say what to give instead."""
    path = _path(spec, root)
    if spec.endswith(".pb") or path.is_dir() and (path / "saved_model.pb").is_file():
        raise UsageError(f"{spec} is a TensorFlow SavedModel or graph, which Keras 3 cannot load as a model: "
                         f"{FACTORY_HINT} (keras.layers.TFSMLayer can wrap it for inference only, not for training)")
    if spec.lower().endswith(FOREIGN_SUFFIXES):
        raise UsageError(f"{spec} is not a Keras model file: give {ACCEPTED}")


def load_target(spec: str, *, unsafe: bool = False, root: Path | None = None) -> Loaded:
    if spec.endswith(SAVED_SUFFIXES):
        return _load_saved(spec, unsafe=unsafe, root=root)
    _refuse_foreign(spec, root)
    fn = _function(spec, "target", root)
    file, line = _source(fn)
    try:
        result = _call(fn, spec, builds_model=True)
    except CollapsedModel as collapsed:
        collapsed.file, collapsed.line = file, line
        raise
    sample = None
    if isinstance(result, tuple) and result and _is_model(result[0]):
        model, rest = result[0], result[1:]
        if len(rest) == 1:
            data = rest[0]
            sample = sample_from(*data) if isinstance(data, tuple) and len(data) == 2 else sample_from(data)
        elif len(rest) == 2:
            sample = sample_from(rest[0], rest[1])
        elif rest:
            raise UsageError(f"{spec} returned a tuple of {len(result)}: expected model, (model, (x, y)) "
                             f"or (model, dataset)")
    elif _is_model(result):
        model = result
    else:
        raise UsageError(f"{spec} returned a {type(result).__name__}, expected a keras.Model, "
                         f"(model, (x, y)) or (model, dataset)")
    return Loaded(spec, model, sample, file, line)


def _source(fn) -> tuple[Path | None, int | None]:
    """The factory's file and `def` line (for suppressions and SARIF locations)."""
    try:
        lines, start = inspect.getsourcelines(fn)
    except (TypeError, OSError):
        return None, None
    offset = next((i for i, text in enumerate(lines) if text.lstrip().startswith(("def ", "async def "))), 0)
    return Path(inspect.getsourcefile(fn)), start + offset  # past any decorators


def _check_file(path: Path, spec: str) -> None:
    """Refuse, in one line, a file that is no saved Keras model: not a .keras zip, not HDF5, weights only."""
    if path.suffix == ".keras":
        if not zipfile.is_zipfile(path):
            raise UsageError(f"cannot load {spec}: not a valid .keras file (not a zip archive: corrupt, truncated "
                             f"or another format)")
        with zipfile.ZipFile(path) as archive:
            if "config.json" not in archive.namelist():
                raise UsageError(f"cannot load {spec}: not a valid .keras file (the zip holds no config.json)")
        return
    import h5py

    try:
        with h5py.File(path, "r") as f:
            has_model = "model_config" in f.attrs
    except OSError as exc:
        raise UsageError(f"cannot load {spec}: not a valid HDF5 file ({one_line(exc)})") from None
    if not has_model:
        raise UsageError(f"{spec} holds weights only, no model: {FACTORY_HINT} and calls "
                         f"model.load_weights({path.name!r})")


class _NoLoadNoise(logging.Filter):
    def filter(self, record):
        return not record.getMessage().startswith(LOAD_NOISE)


@contextmanager
def _quiet_loading():
    """Silence Keras's notes on a fresh load (LOAD_NOISE) and nothing else."""
    noise = _NoLoadNoise()
    absl = logging.getLogger("absl")  # Keras's legacy HDF5 loader logs through absl
    absl.addFilter(noise)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="|".join(map(re.escape, LOAD_NOISE)), category=UserWarning)
            yield
    finally:
        absl.removeFilter(noise)


def _load_saved(spec: str, *, unsafe: bool, root: Path | None) -> Loaded:
    import keras

    path = _path(spec, root)
    if not path.is_file():
        raise UsageError(f"file not found: {spec}")
    _check_file(path, spec)
    if unsafe:
        print(f"cnnlint: warning: loading {spec} with safe_mode=False: it may run code stored in the file",
              file=sys.stderr)
    try:
        with _quiet_loading():
            model = keras.saving.load_model(path, safe_mode=not unsafe)  # safe_mode holds for .h5 too
    except Exception as exc:  # noqa: BLE001
        text = one_line(exc)
        hint = " (it holds a Lambda layer or other code; --unsafe allows it if you trust the file)" \
            if "safe_mode" in text or "Lambda" in text else ""
        raise UsageError(f"cannot load {spec}: {text}{hint}") from None
    return Loaded(spec, model, None, path, None)


def load_data(spec: str, *, sample_rank: int | None = None, root: Path | None = None) -> Sample:
    """A sample batch from `file.npz`, `file.py:fn` or an image folder."""
    path = _path(spec, root)
    if spec.endswith(".npz"):
        if not path.is_file():
            raise UsageError(f"data file not found: {spec}")
        return load_npz(path)
    if path.is_dir():
        return load_folder(path)
    if ".py:" in spec or ":" in spec and not spec.endswith(".py"):
        result = _call(_function(spec, "data", root), spec)
        if isinstance(result, tuple) and len(result) == 2:
            return sample_from(result[0], result[1], sample_rank=sample_rank)
        return sample_from(result, sample_rank=sample_rank)
    if not path.exists():
        raise UsageError(f"data not found: {spec}")
    raise UsageError(f"--data {spec!r}: expected a .npz file (arrays x, y), file.py:function, or a folder "
                     f"of class subfolders")
