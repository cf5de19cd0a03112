"""China's official working-day calendar: the library's years plus the notices an admin enters."""
