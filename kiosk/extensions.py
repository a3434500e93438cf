"""Extension objects created once and bound to the app in create_app."""
from flask_socketio import SocketIO

# Threading mode: speech work blocks, and a school server has few clients.
socketio = SocketIO(async_mode="threading")
