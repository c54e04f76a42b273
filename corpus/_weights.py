"""No pretrained weights can be downloaded here (weights=None): `as_pretrained` (cnnlint.testing) gives a
backbone the trained BatchNormalization statistics pretrained weights would; the kernels stay random, which no
static rule reads (what real weights add is features that transfer: the probe's loss falls more slowly here)."""
from cnnlint.testing import as_pretrained  # noqa: F401
