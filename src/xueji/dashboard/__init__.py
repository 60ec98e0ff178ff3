"""The administrators' overview (``/dashboard``) and the region's schools (``/schools``):
counts gathered from the registry, the platform, the parents' applications and the
event feed, shown as tables with charts drawn on the server, each table exportable."""
