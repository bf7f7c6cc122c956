"""The store's migrations on the AWS stand-in: what `make deploy` runs after a release."""
from chalicelib.domain.retention import expires_at
from chalicelib.store.migrations import MIGRATIONS, stamp_retention
from chalicelib.store.models import TimelineModel, TouchModel


def test_records_written_before_retention_get_their_time_to_live_once(ctx):
    old = TouchModel("lead-1", "t-1", status="sent", doc={"at": "2027-01-02T15:00:00+00:00"},
                     history=[{"status": "scheduled", "at": "2027-01-01T15:00:00+00:00", "reason": ""},
                              {"status": "sent", "at": "2027-01-02T15:00:00+00:00", "reason": ""}])
    old.save()
    new = TouchModel("lead-1", "t-2", status="sent", doc={"at": "2027-03-01T15:00:00+00:00"}, history=[],
                     expires_at=123)
    new.save()
    TimelineModel("lead-1", "2027-01-02T15:00:00+00:00#a", item={"at": "2027-01-02T15:00:00+00:00",
                                                                 "kind": "event", "type": "stage_changed"}).save()
    TimelineModel("lead-2", "2027-02-01T00:00:00+00:00#b", item={"at": "2027-02-01T00:00:00+00:00",
                                                                 "kind": "erased", "by": "ops"}).save()

    assert stamp_retention(5) == {"touches": 1, "timeline": 1}
    # the last decision's time, five years on; a record stamped by new code keeps its own value
    assert TouchModel.get("lead-1", "t-1").expires_at == expires_at("2027-01-02T15:00:00+00:00", 5)
    assert TouchModel.get("lead-1", "t-2").expires_at == 123
    assert TimelineModel.get("lead-1", "2027-01-02T15:00:00+00:00#a").expires_at == \
        expires_at("2027-01-02T15:00:00+00:00", 5)
    assert TimelineModel.get("lead-2", "2027-02-01T00:00:00+00:00#b").expires_at is None  # kept for good
    assert MIGRATIONS["1.1-retention"](ctx) == {"touches": 0, "timeline": 0}  # idempotent
