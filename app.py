"""Touch Engine: the Chalice app. Thin by design: middleware and Blueprints, nothing else."""
from chalice import Chalice

from chalicelib.api import (analytics, deliverability, holds, imports, leads, people, privacy, rates, sequences, sweeps,
                            tasks, templates, tracking, workers)
from chalicelib.api.middleware import http_middleware
from chalicelib.console import routes as console
from chalicelib.config import settings

app = Chalice(app_name="touchengine")
app.register_middleware(http_middleware, "http")
for blueprint in (leads.bp, tasks.bp, sequences.bp, rates.bp, analytics.bp, tracking.bp, workers.bp, sweeps.bp,
                  imports.bp, holds.bp, people.bp, privacy.bp, templates.bp,
                  deliverability.bp):
    app.register_blueprint(blueprint)
app.register_blueprint(console.bp)  # the people's web console under /console (issue 15)

if settings().is_local:
    # The virtual clock and the inbound simulators exist on the local stage only.
    from chalicelib.local import routes as local_routes

    app.register_blueprint(local_routes.bp)
