"""Extension objects created once and bound to the app in create_app."""
from flask_socketio import SocketIO

# Threading mode: speech work blocks, and a school server has few clients.
# async_handlers off: one client's events run in the order they arrive, which a
# stream of audio chunks needs.
socketio = SocketIO(async_mode="threading", async_handlers=False)
