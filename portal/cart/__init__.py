"""The buyer's cart, the quick-order pad, CSV upload and the account's saved order lists."""
