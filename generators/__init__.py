"""SEN-Bench dataset generators: grid worlds, Reacher, Teapot; HDF5 format and reader."""
