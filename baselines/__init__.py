"""Baseline world models: None, Full, CNN (C-SWM) and the Homeomorphic VAE."""
