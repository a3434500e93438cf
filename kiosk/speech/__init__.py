"""Speech for the kiosk: audio rendered on the server, served to the device as files."""
