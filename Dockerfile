# Parley in one container. Build: docker build -t parley .
# Run:   docker run -p 8000:8000 -v parley-data:/data parley
FROM node:24-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && mkdir -p vendor \
 && cp node_modules/htmx.org/dist/htmx.min.js vendor/htmx.min.js \
 && cp node_modules/htmx-ext-ws/dist/ws.min.js vendor/ws.min.js \
 && cp node_modules/markdown-it/dist/markdown-it.min.js vendor/markdown-it.min.js \
 && cp node_modules/jsqr/dist/jsQR.js vendor/jsQR.js \
 && cp node_modules/qrcode-generator/dist/qrcode.mjs vendor/qrcode-generator.js

FROM python:3.13-slim AS deps
WORKDIR /app
# Runtime pins only: the test tools (requirements-test.lock) stay out of the image.
COPY requirements.lock ./
RUN python -m venv /venv && /venv/bin/pip install --no-cache-dir -r requirements.lock

FROM python:3.13-slim
RUN useradd --create-home --uid 10001 parley && mkdir -p /data && chown parley /data
COPY --from=deps /venv /venv
WORKDIR /app
COPY app ./app
COPY config ./config
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY scripts/entrypoint scripts/embedded-pg scripts/emoji-picker-data scripts/icon-sprite scripts/precompress-static ./scripts/
COPY --from=frontend /build/vendor ./static/vendor
COPY --from=frontend /build/node_modules/lucide-static/package.json /tmp/lucide-static/package.json
COPY --from=frontend /build/node_modules/lucide-static/icons /tmp/lucide-static/icons
# Then the static files' br/gzip copies (app/static_files.py): /app/static is read-only at run time.
RUN /venv/bin/python scripts/emoji-picker-data static/vendor/emoji.json \
 && /venv/bin/python scripts/icon-sprite static/vendor/icons.svg /tmp/lucide-static \
 && /venv/bin/python scripts/precompress-static
ENV PATH="/venv/bin:$PATH" PYTHONUNBUFFERED=1 VAR_DIR=/data HOST=0.0.0.0 PORT=8000
USER parley
VOLUME ["/data"]
EXPOSE 8000
# The probe asks the port the app listens on ($PORT, as the container runs it).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD python -c "import os,sys,urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2).status != 200)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/scripts/entrypoint"]
