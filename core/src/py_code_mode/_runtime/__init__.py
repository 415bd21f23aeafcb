"""What runs inside the executing interpreter. Standard library only, imported by the worker."""
