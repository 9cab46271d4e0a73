"""Server-rendered pages: Jinja2 templates, htmx, vendored static assets, gettext catalogs."""
