"""Side-by-side benchmarks of foxapi-integrations (issue 7); entry point: ``run.py``."""
