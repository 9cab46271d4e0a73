"""The unified case hub (一网办理)."""
