

class HarmonicDensity(object):

    pass
