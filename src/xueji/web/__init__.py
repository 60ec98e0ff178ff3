"""HTTP composition root: the app, its request scope, error mapping and pages."""
