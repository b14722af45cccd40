"""All storage goes through this package: one connection per request, named
migrations, and plain functions that take ``db`` first and return dataclasses.
No SQL lives anywhere else."""
