"""The organisation tree: city, districts, townships, communities, departments and stations."""
