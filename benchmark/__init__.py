"""SEN-Bench: models, training, metrics and analysis of equivariant world models."""
