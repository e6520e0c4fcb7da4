#!/usr/bin/env bash
# Serve Liuhen: gunicorn for the web, the django-tasks database worker beside it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
mkdir -p staticfiles  # WhiteNoise serves through the finders (WHITENOISE_USE_FINDERS); an empty STATIC_ROOT keeps it quiet
.venv/bin/python manage.py db_worker --queue-name default &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "留痕 Liuhen: http://$HOST:$PORT/  (API 文档 http://$HOST:$PORT/api/docs)"
.venv/bin/gunicorn liuhen.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_WORKERS:-2}" --threads 4 \
  --access-logfile - --timeout 120
