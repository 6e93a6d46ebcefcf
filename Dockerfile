# GAN Dojo server image. torch is installed first, pinned; extra pip arguments (e.g. a wheel index
# for a CPU-only or a specific CUDA build) go in the TORCH_PIP_ARGS build arg.
FROM python:3.11-slim
ARG TORCH_VERSION=2.13.0
ARG TORCH_PIP_ARGS=""
WORKDIR /app
RUN pip install --no-cache-dir torch==${TORCH_VERSION} ${TORCH_PIP_ARGS}
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY frontend ./frontend
RUN pip install --no-cache-dir -e .
ENV GANDOJO_FRONTEND=/app/frontend
EXPOSE 8000
CMD ["gandojo", "serve", "--host", "0.0.0.0", "--port", "8000"]
