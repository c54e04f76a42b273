"""Seed 002, example 3 fixed: Adam at 1e-3."""
from seed002_high_lr import cnn
from synthetic import images


def build_model():
    return cnn(0.001), images(256)
