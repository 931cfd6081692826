"""The emulator's whole state in memory, and saving it to / loading it from a file."""
