"""The Chalice app: one Blueprint per subsystem, nothing else. Each Lambda is in its blueprint."""

from chalice import Chalice

from chalicelib.budgets import bp as budgets
from chalicelib.core.constants import APP_NAME
from chalicelib.costs.blueprint import bp as costs
from chalicelib.metrics import bp as metrics
from chalicelib.notify import bp as notify
from chalicelib.reports import bp as reports
from chalicelib.scraping import bp as scraping
from chalicelib.subscriptions import bp as subscriptions

# configure_logs=False: Chalice would add a plain-text stdout handler to the APP_NAME logger, the very
# logger Powertools uses for its JSON lines, and every log line would be written twice.
app = Chalice(app_name=APP_NAME, configure_logs=False)
app.register_blueprint(reports)
app.register_blueprint(metrics)
app.register_blueprint(scraping)
app.register_blueprint(budgets)
app.register_blueprint(notify)
app.register_blueprint(costs)
app.register_blueprint(subscriptions)  # the unsubscribe route (the API handler)
