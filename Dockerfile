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
# the ops endpoints (CHATBOT_OPS_PORT; compose probes /healthz with python, no curl needed)
# and the Telegram webhook (CHATBOT_TELEGRAM_WEBHOOK_PORT), both behind your proxy
EXPOSE 9000 8443
CMD ["chatbot", "run"]
