# syntax=docker/dockerfile:1
# One image for every process of the portal: web (gunicorn, the default command), the Celery
# worker and beat, and the one-shot migrate step (see docker-compose.yml).

# --- front-end assets: DKFDS and htmx from the npm registry, pinned by package-lock.json ----------
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

# --- the application ------------------------------------------------------------------------------
FROM python:3.12-slim-bookworm AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=rammeaftale.settings.production \
    VAR_DIR=/var/lib/rammeaftale \
    MEDIA_ROOT=/var/lib/rammeaftale/media \
    STATIC_ROOT=/app/staticfiles

# WeasyPrint renders PDFs with Pango (and HarfBuzz); fonts for Danish text.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      fonts-dejavu-core fontconfig shared-mime-info \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home portal

WORKDIR /app

# Pinned with hashes: pip refuses anything that does not match requirements.txt.
COPY requirements.txt ./
RUN pip install --require-hashes --no-deps -r requirements.txt

COPY --from=assets /build/node_modules/dkfds ./node_modules/dkfds
COPY --from=assets /build/node_modules/htmx.org ./node_modules/htmx.org
COPY . .

# Translations and static files are built into the image. The throw-away key and host only let
# the production settings load for these two commands; the real ones come from the environment.
RUN DJANGO_SECRET_KEY=image-build-only-$(python -c "import secrets; print(secrets.token_urlsafe(48))") \
    DJANGO_ALLOWED_HOSTS=build.invalid \
    sh -c "python manage.py compile_translations && python manage.py collectstatic --noinput -v 0" \
 && mkdir -p "$VAR_DIR" "$MEDIA_ROOT" \
 && chown -R portal:portal "$VAR_DIR"

USER portal
VOLUME ["/var/lib/rammeaftale"]
EXPOSE 8000

CMD ["gunicorn", "rammeaftale.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-", "--forwarded-allow-ips", "*"]
