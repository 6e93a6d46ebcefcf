"""Built-in lessons: one declarative YAML file per lesson (package data, read by engine/lessons/model.py)."""
