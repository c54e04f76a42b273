"""Seed 002, example 2 fixed: three conv blocks and a hidden dense layer give the model capacity.

This is the same network as seed002_overfit.py: with enough data (lint it with --samples 60000)
it is the right size; with 512 images it overfits. cnnlint judges it against the plan.
"""
from keras import layers

from seed002_overfit import cnn
from synthetic import images


def build_model():
    model = cnn(layers.Dense(128, activation="relu"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, images(512)
