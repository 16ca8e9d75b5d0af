"""Runnable examples: handlers for `lp-toolbelt invoke`, the `make demo` walk-through, embedding in web apps."""
