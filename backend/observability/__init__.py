"""Observability: structured logs that carry the company, the user and a request id, and Prometheus metrics.

- context.py:    the request id, the request and the Celery task of this thread/task (contextvars)
- logs.py:       the JSON formatter and the filter that adds those to every record
- metrics.py:    the series (request latency by view, the DB pool, Celery queues, websockets, payments and
                 webhooks), shared by the web worker processes through PROMETHEUS_MULTIPROC_DIR
- middleware.py: the request id in and out, the latency, and GET /metrics
"""
