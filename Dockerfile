FROM python:3.11-slim
RUN useradd --create-home --uid 10001 chatbot
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY chatbot ./chatbot
COPY handlers ./handlers
COPY locales ./locales
RUN pip install --no-cache-dir -e .
USER chatbot
ENV CHATBOT_DATA_DIR=/data
VOLUME ["/data"]
CMD ["chatbot", "run"]
