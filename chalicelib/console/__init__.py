"""The web console for loan officers and managers: server-rendered pages under /console."""

# Pages in modules of their own register on routes.bp when the console is imported (a line in
# routes.py would make an import circle: tests/unit/test_layout.py).
from . import borrower, deliverability, desk, language, templates  # noqa: E402,F401  (pages of their own)
