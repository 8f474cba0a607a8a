__author__ = 'tsc'
