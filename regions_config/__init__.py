"""The Django project.

The Celery app lives in `regions_config.celery` (`celery -A regions_config` finds it there). It is
not imported here, so management commands and web requests do not pay for loading Celery; task
modules import the app explicitly and declare their tasks with `@app.task`.
"""
