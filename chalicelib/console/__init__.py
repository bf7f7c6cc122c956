"""The web console for loan officers and managers: server-rendered pages under /console."""
