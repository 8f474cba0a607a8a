
from .HarmonicDensity import HarmonicDensity

class SO3HarmonicDensity(HarmonicDensity):

    def __init__(self):
        pass


