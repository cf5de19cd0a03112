# Production-shaped image: one image, the command picks the role (migrate, serve, worker).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY miniapp_api ./miniapp_api
COPY workers ./workers
COPY schemas ./schemas
COPY migrations ./migrations
RUN pip install . && useradd --system --home /app fangpin && mkdir -p /data && chown fangpin /data
USER fangpin
ENV FANGPIN_DATA_DIR=/data FANGPIN_HOST=0.0.0.0 FANGPIN_PORT=8000
EXPOSE 8000
CMD ["fangpin", "serve"]
