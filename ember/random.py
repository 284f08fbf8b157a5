"""Random numbers: one default generator (``ember.manual_seed``) and seedable ``Generator``s.

ember draws from NumPy's PCG64 generator. Seeds give reproducible runs within ember; the numbers
are not PyTorch's (its Mersenne Twister stream is not reproduced).
"""

import numpy

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
]


class Generator:
    """A source of random numbers with its own state (``ember.Generator().manual_seed(0)``)."""

    def __init__(self, device="cpu"):
        self._seed = int(numpy.random.SeedSequence().entropy % 2**63)
        self._numpy = numpy.random.Generator(numpy.random.PCG64(self._seed))
        self.device = device

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._numpy = numpy.random.Generator(numpy.random.PCG64(self._seed))
        return self

    def seed(self):
        return self.manual_seed(int(numpy.random.SeedSequence().entropy % 2**63))._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._numpy.bit_generator.state

    def set_state(self, state):
        self._numpy.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator, so ember's random numbers repeat from run to run."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
