# dari: the README's main job in a container (docker build -t dari . && docker run -p 8080:8080 dari).
# Each step is the README's own command; the seeds are indexed at build time so start-up is quick.
FROM python:3.12-slim

# A non-root user owning the app folder (WORKDIR alone would create it owned by root).
RUN useradd --create-home --uid 10001 dari && install -d -o dari -g dari /home/dari/app
USER dari
WORKDIR /home/dari/app
COPY --chown=dari:dari pyproject.toml README.md ./
COPY --chown=dari:dari indexer/ indexer/
COPY --chown=dari:dari web/ web/
COPY --chown=dari:dari seeds/ seeds/

ENV DARI_INDEX=/home/dari/index PYTHONUNBUFFERED=1
RUN python3 -m venv .venv && .venv/bin/pip install --no-cache-dir -e .
RUN .venv/bin/dari reindex

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD [".venv/bin/python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/api/health', timeout=4)"]
CMD [".venv/bin/dari", "serve", "--host", "0.0.0.0", "--port", "8080"]
