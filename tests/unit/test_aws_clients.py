"""The clients that send to borrowers never send twice on their own: one attempt each (a read
timeout may come after SES or SNS took the message); the engine decides what is retried."""
from chalicelib import aws


def test_senders_make_one_attempt_and_the_rest_keep_botocores_retries(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws._boto_client.cache_clear()
    try:
        for service in ("sesv2", "sns"):
            assert aws._boto_client(service).meta.config.retries["total_max_attempts"] == 1, service
        assert "total_max_attempts" not in (aws._boto_client("sqs").meta.config.retries or {})
    finally:
        aws._boto_client.cache_clear()
