"""Headers WhiteNoise adds to the static files it serves.

WhiteNoise answers static requests before the rest of the middleware runs,
so the frame protection the pages get from Django is added here too.
"""


def add_static_headers(headers, path, url):
    headers["X-Frame-Options"] = "DENY"
    headers["Content-Security-Policy"] = "frame-ancestors 'none'"
    headers["X-Content-Type-Options"] = "nosniff"
