# syntax=docker/dockerfile:1
# The spotwise image: `spotwise controller` by default (deploy/deployment.yaml), any other
# spotwise command by its arguments. Build from the repository root:
#   docker build -t spotwise:0.1.0 .
# Dependencies are installed at the versions constraints.txt pins, as `make` does. The
# wheels are mounted from the build stage, not copied (BuildKit, docker build's default).

FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --disable-pip-version-check -c constraints.txt \
        --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --disable-pip-version-check --no-index /wheels/*.whl
COPY NOTICE /usr/share/doc/spotwise/NOTICE
# A numeric non-root user (65532, distroless's "nonroot"), so that Kubernetes'
# runAsNonRoot can check it; the root filesystem may be read-only (HOME is /tmp).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["spotwise"]
CMD ["controller"]
