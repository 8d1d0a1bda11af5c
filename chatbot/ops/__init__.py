"""Operations: structured logs without personal data, health and readiness, metrics.

`logs` formats records as JSON lines (``CHATBOT_LOG_FORMAT=json``) and scrubs personal
data from every record; `metrics` holds the Prometheus metrics other modules update;
`server` serves ``/healthz``, ``/readyz`` and ``/metrics`` (``CHATBOT_OPS_PORT``).
"""
