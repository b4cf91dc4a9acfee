"""`manage.py task_worker`: see openday.core.worker."""

from openday.core.worker import Command

__all__ = ["Command"]
