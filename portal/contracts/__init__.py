"""The negotiated agreement: contracts, price rules, the pricing engine, discount approvals."""
