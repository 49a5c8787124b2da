"""Products, categories and list prices."""
