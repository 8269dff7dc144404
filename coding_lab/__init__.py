"""The coding lab: exercises, their tests and the harness that runs them in the sandbox,
assignments and submissions, notebook assignments, beginner-friendly error explanations
and similarity between submissions. It registers the ``code`` item type."""
