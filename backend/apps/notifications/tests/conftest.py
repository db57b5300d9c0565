from apps.bookings.tests.test_browser import browser_page  # noqa: F401
