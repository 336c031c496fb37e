"""Keras 3 models (on the torch backend) for the Keras front-end's tests: each a function returning a built model."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
L = keras.layers


def lenet():
    """The Keras course's LeNet: conv, pool, conv, pool, dense (seed 001's table)."""
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            L.Conv2D(8, 5, activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2D(16, 5, activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(120, activation="relu"),
            L.Dense(84, activation="relu"),
            L.Dense(10, activation="softmax"),
        ]
    )


def cnn_bn():
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(16, 3, padding="same", use_bias=False),
            L.BatchNormalization(),
            L.ReLU(),
            L.Conv2D(32, 3, strides=2, padding="same"),
            L.BatchNormalization(),
            L.Activation("relu"),
            L.AveragePooling2D(2),
            L.Dropout(0.3),
            L.GlobalAveragePooling2D(),
            L.Dense(10),
        ]
    )


def separable():
    return keras.Sequential(
        [
            keras.Input((40, 40, 3)),
            L.ZeroPadding2D(((1, 0), (1, 0))),
            L.Conv2D(16, 3, strides=2),
            L.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
            L.SeparableConv2D(24, 3, padding="same", activation="relu"),
            L.MaxPooling2D(3, strides=2, padding="same"),
            L.GlobalMaxPooling2D(),
            L.Dense(5),
        ]
    )


def autoencoder():
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            L.Conv2D(8, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Conv2DTranspose(8, 3, strides=2, padding="same"),
            L.UpSampling2D(2),
            L.Conv2D(3, 1, activation="sigmoid"),
            L.Reshape((32 * 32, 3)),
            L.Permute((2, 1)),
        ]
    )


def imdb_lstm():
    """The Keras course's sentiment model: embedding, LSTM, dense (Keras prints 1,117,377 parameters)."""
    return keras.Sequential(
        [keras.Input((50,)), L.Embedding(10000, 100), L.LSTM(128), L.Dense(1, activation="sigmoid")]
    )


def stacked_rnn():
    return keras.Sequential(
        [
            keras.Input((20, 12)),
            L.LSTM(32, return_sequences=True),
            L.GRU(24, return_sequences=True),
            L.GRU(16, reset_after=False, return_sequences=True),
            L.SimpleRNN(8),
            L.Dense(3),
        ]
    )


def bidirectional():
    return keras.Sequential(
        [
            keras.Input((30,)),
            L.Embedding(500, 16),
            L.Bidirectional(L.LSTM(24, return_sequences=True)),
            L.Bidirectional(L.GRU(12)),
            L.Dense(4, activation="softmax"),
        ]
    )


def time_distributed():
    return keras.Sequential(
        [
            keras.Input((6, 12, 12, 3)),
            L.TimeDistributed(L.Conv2D(4, 3)),
            L.TimeDistributed(L.MaxPooling2D(2)),
            L.TimeDistributed(L.Flatten()),
            L.LSTM(10, return_sequences=True),
            L.TimeDistributed(L.Dense(2)),
        ]
    )


def conv1d():
    return keras.Sequential(
        [
            keras.Input((64, 2)),
            L.Conv1D(12, 5, strides=2, padding="same", activation="relu"),
            L.MaxPooling1D(2),
            L.Conv1D(12, 3, dilation_rate=2),
            L.GlobalAveragePooling1D(),
            L.Dense(3),
        ]
    )


def conv3d():
    return keras.Sequential(
        [keras.Input((8, 16, 16, 1)), L.Conv3D(4, 3, padding="same"), L.MaxPooling3D(2), L.Flatten(), L.Dense(2)]
    )


def residual():
    """A functional residual model: two branches added, one concatenated."""
    x = keras.Input((32, 32, 3), name="image")
    h = L.Conv2D(16, 3, padding="same", activation="relu")(x)
    y = L.Conv2D(16, 3, padding="same")(h)
    y = L.BatchNormalization()(y)
    h = L.Activation("relu")(L.Add()([h, y]))
    z = L.Conv2D(8, 1)(h)
    h = L.Concatenate()([h, z])
    h = L.Multiply()([h, h])
    out = L.Dense(10)(L.GlobalAveragePooling2D()(h))
    return keras.Model(x, out)


def attention():
    """A functional transformer block with MultiHeadAttention and layer norms."""
    x = keras.Input((24, 32), name="tokens")
    a = L.MultiHeadAttention(num_heads=4, key_dim=8)(x, x)
    h = L.LayerNormalization()(L.Add()([x, a]))
    f = L.Dense(64, activation="gelu")(h)
    f = L.Dense(32)(f)
    h = L.LayerNormalization()(L.Add()([h, f]))
    b = L.MultiHeadAttention(num_heads=2, key_dim=6, value_dim=5)(h, h)
    return keras.Model(x, L.Dense(3)(L.GlobalAveragePooling1D()(b)))


def two_inputs():
    """A functional model with two inputs and a layer called twice (its weights shared)."""
    a = keras.Input((16,), name="left")
    b = keras.Input((16,), name="right")
    shared = L.Dense(8, activation="relu")
    h = L.Concatenate()([shared(a), shared(b)])
    return keras.Model([a, b], L.Dense(1)(L.Subtract()([h, h])))


MODELS = {
    f.__name__: f
    for f in (
        lenet,
        cnn_bn,
        separable,
        autoencoder,
        imdb_lstm,
        stacked_rnn,
        bidirectional,
        time_distributed,
        conv1d,
        conv3d,
        residual,
        attention,
        two_inputs,
    )
}
