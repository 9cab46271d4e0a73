"""The people register (人、房): buildings, houses, households and residents, with protected personal data."""
