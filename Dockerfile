# syntax=docker/dockerfile:1
# brandloom container image: one image for the API (default command) and the worker.
#
#   docker build -t brandloom:0.1.0 .
#   docker run --rm -p 8000:8000 brandloom:0.1.0                                   # API
#   docker run --rm brandloom:0.1.0 brandloom worker --concurrency 2 --metrics-port 9102
#
# See docs/deployment.md for Compose and Kubernetes.

# ---------------------------------------------------------------------------------------------
# Builder: turns the source tree into wheels (brandloom and every dependency).
# ---------------------------------------------------------------------------------------------
FROM python:3.12-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
# Only what the wheel needs: metadata, readme (package long description) and the package itself.
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --wheel-dir /wheels .

# ---------------------------------------------------------------------------------------------
# Runtime: no compiler, no source tree; the wheels are installed and then left behind.
# ---------------------------------------------------------------------------------------------
FROM python:3.12-slim AS runtime

LABEL org.opencontainers.image.title="brandloom" \
      org.opencontainers.image.description="Bulk personalized, QA-checked marketing documents" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    BRANDLOOM_DATA_DIR=/var/lib/brandloom \
    BRANDLOOM_LOG_FORMAT=json

# A fixed, unprivileged UID/GID so volume ownership and Kubernetes runAsUser agree.
RUN groupadd --system --gid 10001 brandloom \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/brandloom --create-home \
            --shell /usr/sbin/nologin brandloom \
 && mkdir -p /var/lib/brandloom \
 && chown 10001:10001 /var/lib/brandloom

# The wheels are bind-mounted from the builder, so they never become a layer of this image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m pip install --no-index --find-links=/wheels brandloom

USER 10001:10001
WORKDIR /home/brandloom

# Uploaded files, and job outputs when storage is local (BRANDLOOM_STORAGE_URL unset).
VOLUME ["/var/lib/brandloom"]

# 8000: API (REST, /healthz, /readyz, /metrics). 9102: worker Prometheus metrics.
EXPOSE 8000 9102

# The slim image has no curl: the standard library does the probe. This checks the API; the
# worker's Compose service and Kubernetes Deployment replace it with a probe of port 9102.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["brandloom", "serve", "--host", "0.0.0.0", "--port", "8000"]
