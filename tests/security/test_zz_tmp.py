from tests.conftest import AuthActions
from tests.security.world import build_world
def test_b(client, make):
    world = build_world(make)
    print(client.get("/readyz").get_json())
    AuthActions(client).login(world.emails["member"])
    print(client.get("/readyz").get_json())
