"""Code several apps share. It imports no app of the project, so any app may import it."""
