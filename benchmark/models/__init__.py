"""World models of the SEN method, one module per environment family (grid, reacher, teapot)."""
