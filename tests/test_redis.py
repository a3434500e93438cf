"""With REDIS_URL: the escalation ladder sees dashboards open on every process (real Redis)."""
import json

import pytest

from bench._redis import available, running_redis
from helpers import log_in
from kiosk.staff import presence
from kiosk.accounts.users import create_user
from kiosk.extensions import queue_channel, socketio

pytestmark = pytest.mark.skipif(not available(), reason="redis-server is not installed "
                                "(./setup.sh --test installs it)")


@pytest.fixture
def redis_url(tmp_path):
    with running_redis(tmp_path) as url:
        yield url


def test_the_ladder_sees_a_dashboard_open_on_another_process(app, db, staff_socket, redis_url):
    """The DSL's dashboard is open here; a deputy's is open on another process of the
    school, which wrote its sessions to Redis as every process does."""
    app.config["REDIS_URL"] = redis_url
    create_user(db, "deputy@school.example", "a long test password", "deputy")
    deputy = app.test_client()
    assert log_in(deputy, "deputy@school.example").status_code == 302
    deputy_session = next(db.query(
        "SELECT s.id FROM staff_sessions s JOIN users u ON u.id = s.user_id "
        "WHERE u.email = 'deputy@school.example'"))["id"]
    assert [u["email"] for u in presence.watching(app)(db)] == ["dsl@school.example"]

    import redis
    client = redis.Redis.from_url(redis_url)
    elsewhere = f"{queue_channel(app.config)}:dashboards:other-host:4242"
    client.set(elsewhere, json.dumps({"sessions": [deputy_session], "screens": []}), ex=6)
    presence.publisher(app)(db)  # this process writes its own too
    assert sorted(u["email"] for u in presence.watching(app)(db)) == [
        "deputy@school.example", "dsl@school.example"]
    client.delete(elsewhere)  # that process stopped: its key lapsed
    assert [u["email"] for u in presence.watching(app)(db)] == ["dsl@school.example"]


def test_schools_sharing_a_redis_use_channels_of_their_own(app):
    other = dict(app.config, SECRET_KEY="another school's key")
    assert queue_channel(app.config) != queue_channel(other)
    assert queue_channel(dict(other, REDIS_CHANNEL="school-b")) == "school-b"


def test_without_redis_one_process_keeps_its_own_manager(app):
    """No REDIS_URL (the default): events stay in this process, as they always did."""
    assert app.config["REDIS_URL"] == ""
    assert type(socketio.server.manager).__name__ == "Manager"
    assert presence.watching(app).__name__ == "readers_watching"


def test_the_ladder_still_sees_this_process_when_redis_is_away(app, db, staff_socket):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert [u["email"] for u in presence.watching(app)(db)] == ["dsl@school.example"]
