"""Rate history per product in DynamoDB, plus one partition holding each product's latest
quote, so the nightly sweep and ``GET /rates`` read one item per product instead of history."""
from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PutError

from .ddb import is_conditional
from .models import RateModel


class RateRepo:
    LATEST = "#latest"  # product codes are [a-z0-9_], so this never collides

    def put(self, product: str, rate: float, as_of: str, source: str) -> None:
        RateModel(product, as_of, rate=rate, source=source).save()
        try:  # a back-filled older day must not replace a newer latest quote
            RateModel(self.LATEST, product, rate=rate, source=source, day=as_of).save(
                RateModel.day.does_not_exist() | (RateModel.day <= as_of))
        except PutError as exc:
            if not is_conditional(exc):
                raise

    def latest(self, product: str) -> dict | None:
        try:
            return self._quote(RateModel.get(self.LATEST, product))
        except DoesNotExist:
            return None

    def latest_all(self) -> list[dict]:
        return [self._quote(m) for m in RateModel.query(self.LATEST)]

    def history(self, product: str, limit: int = 52) -> list[dict]:
        return [{"product": m.product, "rate": float(m.rate), "as_of": m.as_of, "source": m.source}
                for m in RateModel.query(product, scan_index_forward=False, limit=limit)]

    @staticmethod
    def _quote(m: RateModel) -> dict:
        return {"product": m.as_of, "rate": float(m.rate), "as_of": m.day, "source": m.source}
