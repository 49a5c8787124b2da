"""Orders: checkout under the contract's payment term, credit, approvals, lifecycle, release."""
