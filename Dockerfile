# GAN Dojo server image: `docker build -t gandojo . && docker run -p 8000:8000 gandojo`.
# CPU by default. A CUDA build takes torch from a CUDA wheel index (the wheels bring their own CUDA
# runtime; the host needs the NVIDIA driver and `docker run --gpus all`):
#   docker build --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu126 -t gandojo:cuda .
# BASE picks another Python base image; TORCH_INDEX="" takes torch from the default index (PyPI).
ARG BASE=python:3.11-slim
FROM ${BASE}
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# torch first and pinned (its own layer, cached across code changes); never an unpinned CUDA pull
RUN pip install "torch==${TORCH_VERSION}" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY frontend ./frontend
# the project (pretrained/*.safetensors and the embedded MNIST / Fashion-MNIST are package data); torch==TORCH_VERSION satisfies torch>=2.3
RUN pip install . && useradd --create-home --uid 10001 gandojo \
    && mkdir -p /data/saved /data/datasets && chown -R gandojo /data
ENV GANDOJO_FRONTEND=/app/frontend GANDOJO_SAVE_DIR=/data/saved GANDOJO_DATA_DIR=/data/datasets
USER gandojo
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]
CMD ["gandojo", "serve", "--host", "0.0.0.0", "--port", "8000"]
