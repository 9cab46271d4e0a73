"""pingan (平安): sea–land grid-based public-safety governance platform."""

__version__ = "0.1.0"
