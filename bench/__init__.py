"""Development only: benchmarks, seeding a large directory and the bare page they
compare with. Installed when DEBUG or BENCH is set (epn_directory/settings.py),
never in production."""
