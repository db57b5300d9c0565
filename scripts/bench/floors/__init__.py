"""The benchmark's floors: the booking create's transaction as the framework
itself serves it, on the project's tables and models, with none of the
project's request path.

F1 is a plain Django view with no middleware; F2 a DRF APIView with a
serializer behind the project's middleware and REST_FRAMEWORK settings. Each
is served by gunicorn with the project's own config (`gunicorn.conf.py`, the
same `config.wsgi:application`), only DJANGO_SETTINGS_MODULE differs:
`floors.settings_f1` or `floors.settings_f2`, with scripts/bench on
PYTHONPATH (scripts/bench/run_all.sh does this).

Both run the transaction of throughput.py's raw psycopg baseline: lock the
slot (with its staff member), check it, insert the booking and its audit
event, flag the slot, answer 201 JSON.
"""
