"""Payments: bank remittances and letters of credit recorded by finance."""
